// Every implementation refuses bad parameters at the factory, and bad buffers at run(),
// with a TypeError (wrong type, non-integer) or RangeError (out of range) whose message
// names the parameter.

import { describe, expect, it } from 'vitest';
import type {
  AddParams, AveragePoolParams, ConvParams, DepthwiseParams, GemmParams, KernelSet, MeanParams,
  PadParams, Requantization, ScaleRequantization, SoftmaxParams,
} from '../../kernels/kernel-set.js';
import { implementations } from './implementations.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Bad = [what: string, error: typeof TypeError | typeof RangeError, name: RegExp];

const requant = (n: number): Requantization => ({
  multiplier: new Int32Array(n).fill(2 ** 30), shift: new Int32Array(n).fill(-3), outputZeroPoint: 128, min: 0, max: 255,
});

const scaleRequant = (n: number): ScaleRequantization => ({
  scale: new Float32Array(n).fill(0.0625), outputZeroPoint: 128, min: 0, max: 255,
});

function gemm(): GemmParams {
  return { rows: 2, inputC: 3, outputC: 4, inputZeroPoint: 1, weightZeroPoint: new Int32Array(4), bias: new Int32Array(4), requant: scaleRequant(4) };
}

function conv(): ConvParams {
  return {
    inputH: 4, inputW: 4, inputC: 2, outputH: 2, outputW: 2, outputC: 3, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
    padTop: 0, padLeft: 0, inputZeroPoint: 0, weightZeroPoint: new Int32Array(3), bias: new Int32Array(3), requant: scaleRequant(3),
  };
}

function depthwise(): DepthwiseParams {
  return { ...conv(), inputC: 3, outputC: 6, depthMultiplier: 2, weightZeroPoint: new Int32Array(6), bias: new Int32Array(6), requant: scaleRequant(6) };
}

function add(): AddParams {
  return {
    size: 10, inputZeroPointA: 1, inputZeroPointB: 2, multiplierA: 2 ** 20, multiplierB: 12345, shift: 20,
    outputZeroPoint: 128, min: 0, max: 255,
  };
}

/** Applies `mutate` to fresh valid params and expects the factory to throw. */
function rejects<P>(fresh: () => P, create: (p: P) => unknown, cases: [Bad, (p: Mutable<P>) => void][]): void {
  expect(() => create(fresh())).not.toThrow();
  for (const [[what, error, name], mutate] of cases) {
    const p = fresh() as Mutable<P>;
    mutate(p);
    expect(() => create(p), what).toThrow(error);
    expect(() => create(p), what).toThrow(name);
  }
}

const range = (what: string, name: RegExp): Bad => [what, RangeError, name];
const type = (what: string, name: RegExp): Bad => [what, TypeError, name];

/** Bad output zero points and clamp bounds, for any requantization. */
function boundsCases<P extends { requant: Requantization | ScaleRequantization }>(): [Bad, (p: P) => void][] {
  return [
    [range('output zero point 256', /outputZeroPoint/), (p) => { p.requant = { ...p.requant, outputZeroPoint: 256 }; }],
    [range('min above max', /min/), (p) => { p.requant = { ...p.requant, min: 200, max: 100 }; }],
    [range('max 256', /max/), (p) => { p.requant = { ...p.requant, max: 256 }; }],
    [type('non-integer min', /min/), (p) => { p.requant = { ...p.requant, min: 0.5 }; }],
  ];
}

/** Bad fp32 requantizations, for conv, depthwise and gemm with `n` channels. */
function scaleCases<P extends { requant: ScaleRequantization }>(n: number): [Bad, (p: P) => void][] {
  const withScale = (p: P, at: number, value: number): void => {
    const scale = new Float32Array(n).fill(0.0625);
    scale[at] = value;
    p.requant = { ...p.requant, scale };
  };
  return [
    [range('scale of the wrong length', /scale/), (p) => { p.requant = { ...p.requant, scale: new Float32Array(n + 1).fill(1) }; }],
    [type('scale not a Float32Array', /scale/), (p) => { p.requant = { ...p.requant, scale: new Float64Array(n).fill(1) as unknown as Float32Array }; }],
    [type('fixed-point requantization', /scale/), (p) => { p.requant = requant(n) as unknown as ScaleRequantization; }],
    [range('scale 0', /scale\[0\]/), (p) => withScale(p, 0, 0)],
    [range('negative scale', /scale\[\d\]/), (p) => withScale(p, n - 1, -0.5)],
    [range('scale 256', /scale/), (p) => withScale(p, 0, 256)],
    [range('infinite scale', /scale/), (p) => withScale(p, 0, Infinity)],
    [range('NaN scale', /scale/), (p) => withScale(p, 0, NaN)],
    ...boundsCases<P>(),
  ];
}

/** Bad fixed-point requantizations, for mean and requantize. */
function requantCases<P extends { requant: Requantization }>(n: number): [Bad, (p: P) => void][] {
  return [
    [range('multiplier of the wrong length', /multiplier/), (p) => { p.requant = { ...p.requant, multiplier: new Int32Array(n + 1) }; }],
    [type('multiplier not an Int32Array', /multiplier/), (p) => { p.requant = { ...p.requant, multiplier: new Float64Array(n) as unknown as Int32Array }; }],
    [range('negative multiplier', /multiplier/), (p) => { p.requant = { ...p.requant, multiplier: new Int32Array(n).fill(-1) }; }],
    [range('shift 31', /shift/), (p) => { p.requant = { ...p.requant, shift: new Int32Array(n).fill(31) }; }],
    [range('shift -32', /shift/), (p) => { p.requant = { ...p.requant, shift: new Int32Array(n).fill(-32) }; }],
    ...boundsCases<P>(),
  ];
}

describe.each(implementations)('parameter validation on $name', (k: KernelSet) => {
  it('gemm', () => {
    // Weights sized for the valid params: the bad parameter must be reported, not the weights.
    rejects(gemm, (p) => k.gemm(p, new Uint8Array(12)), [
      [range('rows 0', /rows/), (p) => { p.rows = 0; }],
      [type('rows 1.5', /rows/), (p) => { p.rows = 1.5; }],
      [type('inputC NaN', /inputC/), (p) => { p.inputC = NaN; }],
      [range('outputC -1', /outputC/), (p) => { p.outputC = -1; }],
      [range('input zero point 256', /inputZeroPoint/), (p) => { p.inputZeroPoint = 256; }],
      [type('input zero point as a string', /inputZeroPoint/), (p) => { p.inputZeroPoint = '1' as unknown as number; }],
      [range('weight zero points of the wrong length', /weightZeroPoint/), (p) => { p.weightZeroPoint = new Int32Array(3); }],
      [range('weight zero point -1', /weightZeroPoint/), (p) => { p.weightZeroPoint = Int32Array.of(0, 0, -1, 0); }],
      [type('weight zero points as an array', /weightZeroPoint/), (p) => { p.weightZeroPoint = [0, 0, 0, 0] as unknown as Int32Array; }],
      [range('bias of the wrong length', /bias/), (p) => { p.bias = new Int32Array(5); }],
      ...scaleCases<GemmParams>(4),
    ]);
    expect(() => k.gemm(gemm(), new Uint8Array(11))).toThrow(RangeError);
    expect(() => k.gemm(gemm(), new Uint8Array(11))).toThrow(/weights/);
    expect(() => k.gemm(gemm(), new Int8Array(12) as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('conv', () => {
    rejects(conv, (p) => k.conv(p, new Uint8Array(54)), [
      [range('kernelH 0', /kernelH/), (p) => { p.kernelH = 0; }],
      [range('strideW 0', /strideW/), (p) => { p.strideW = 0; }],
      [range('padTop -1', /padTop/), (p) => { p.padTop = -1; }],
      [type('padLeft 0.5', /padLeft/), (p) => { p.padLeft = 0.5; }],
      [range('outputH 0', /outputH/), (p) => { p.outputH = 0; }],
      [range('bias shorter than outputC', /bias/), (p) => { p.bias = new Int32Array(2); }],
      ...scaleCases<ConvParams>(3),
    ]);
    expect(() => k.conv(conv(), new Uint8Array(53))).toThrow(/weights/);
  });

  it('depthwise', () => {
    rejects(depthwise, (p) => k.depthwise(p, new Uint8Array(54)), [
      [range('depth multiplier 0', /depthMultiplier/), (p) => { p.depthMultiplier = 0; }],
      [range('outputC not inputC * depthMultiplier', /outputC/), (p) => { p.depthMultiplier = 3; }],
      [range('inputW 0', /inputW/), (p) => { p.inputW = 0; }],
      ...scaleCases<DepthwiseParams>(6),
    ]);
    expect(() => k.depthwise(depthwise(), new Uint8Array(55))).toThrow(/weights/);
  });

  it('averagePool', () => {
    const fresh = (): AveragePoolParams => ({
      inputH: 4, inputW: 4, channels: 3, outputH: 2, outputW: 2, filterH: 2, filterW: 2, strideH: 2, strideW: 2,
      padTop: 0, padLeft: 0, zeroPoint: 10, min: 0, max: 255,
    });
    rejects(fresh, (p) => k.averagePool(p), [
      [range('filterW 0', /filterW/), (p) => { p.filterW = 0; }],
      [range('channels 0', /channels/), (p) => { p.channels = 0; }],
      [range('zero point 300', /zeroPoint/), (p) => { p.zeroPoint = 300; }],
      [range('min above max', /min/), (p) => { p.min = 9; p.max = 8; }],
      [range('a window wholly in the padding', /padTop/), (p) => { p.padTop = 2; }],
    ]);
  });

  it('mean', () => {
    const fresh = (): MeanParams => ({ inputH: 7, inputW: 7, channels: 5, inputZeroPoint: 3, requant: requant(1) });
    rejects(fresh, (p) => k.mean(p), [
      [range('channels 0', /channels/), (p) => { p.channels = 0; }],
      [range('input zero point -1', /inputZeroPoint/), (p) => { p.inputZeroPoint = -1; }],
      [range('a per-channel requantization', /multiplier/), (p) => { p.requant = requant(5); }],
      ...requantCases<MeanParams>(1),
    ]);
  });

  it('add', () => {
    // The largest parameters the load step produces are accepted.
    for (const shift of [13, 30]) expect(() => k.add({ ...add(), multiplierA: 2 ** 21, multiplierB: 2 ** 21, shift })).not.toThrow();
    rejects(add, (p) => k.add(p), [
      [range('size 0', /size/), (p) => { p.size = 0; }],
      [range('zero point B 256', /inputZeroPointB/), (p) => { p.inputZeroPointB = 256; }],
      [range('negative multiplier A', /multiplierA/), (p) => { p.multiplierA = -1; }],
      [range('multiplier B of 2^21 + 1', /multiplierB/), (p) => { p.multiplierB = 2 ** 21 + 1; }],
      [type('multiplier A 1.5', /multiplierA/), (p) => { p.multiplierA = 1.5; }],
      [range('shift 12', /shift/), (p) => { p.shift = 12; }],
      [range('shift 31', /shift/), (p) => { p.shift = 31; }],
      [type('shift 20.5', /shift/), (p) => { p.shift = 20.5; }],
      [range('output zero point 256', /outputZeroPoint/), (p) => { p.outputZeroPoint = 256; }],
      [range('min above max', /min/), (p) => { p.min = 200; p.max = 100; }],
      [type('non-integer max', /max/), (p) => { p.max = 254.5; }],
    ]);
  });

  it('softmax', () => {
    const fresh = (): SoftmaxParams => ({
      rows: 1, channels: 10, expTable: Float64Array.from({ length: 256 }, (_, d) => Math.exp(-0.1 * d)),
      inverseOutputScale: 256, outputZeroPoint: 0, min: 0, max: 255,
    });
    rejects(fresh, (p) => k.softmax(p), [
      [range('channels 0', /channels/), (p) => { p.channels = 0; }],
      [range('table of 255 entries', /expTable/), (p) => { p.expTable = new Float64Array(255).fill(1); }],
      [type('table as an array', /expTable/), (p) => { p.expTable = [1] as unknown as Float64Array; }],
      [range('table[0] = 0', /expTable/), (p) => { p.expTable = new Float64Array(256); }],
      [range('a NaN in the table', /expTable/), (p) => { p.expTable = new Float64Array(256).fill(NaN); }],
      [range('inverse output scale 0', /inverseOutputScale/), (p) => { p.inverseOutputScale = 0; }],
      [range('inverse output scale Infinity', /inverseOutputScale/), (p) => { p.inverseOutputScale = Infinity; }],
      [range('output zero point 256', /outputZeroPoint/), (p) => { p.outputZeroPoint = 256; }],
    ]);
  });

  it('requantize, pad, quantize, dequantize', () => {
    rejects(() => ({ size: 4, inputZeroPoint: 0, requant: requant(1) }), (p) => k.requantize(p), [
      [range('size 0', /size/), (p) => { p.size = 0; }],
      [range('input zero point 256', /inputZeroPoint/), (p) => { p.inputZeroPoint = 256; }],
      ...requantCases<{ size: number; inputZeroPoint: number; requant: Requantization }>(1),
    ]);
    const pad = (): PadParams => ({
      inputH: 2, inputW: 2, inputC: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, padChannelsBefore: 0, padChannelsAfter: 0, value: 0,
    });
    rejects(pad, (p) => k.pad(p), [
      [range('padBottom -1', /padBottom/), (p) => { p.padBottom = -1; }],
      [type('padChannelsAfter 0.5', /padChannelsAfter/), (p) => { p.padChannelsAfter = 0.5; }],
      [range('value 256', /value/), (p) => { p.value = 256; }],
      [range('inputC 0', /inputC/), (p) => { p.inputC = 0; }],
    ]);
    rejects(() => ({ size: 4, scale: 0.1, zeroPoint: 3, min: 0, max: 255 }), (p) => k.quantize(p), [
      [range('scale 0', /scale/), (p) => { p.scale = 0; }],
      [range('scale Infinity', /scale/), (p) => { p.scale = Infinity; }],
      [type('scale NaN', /scale/), (p) => { p.scale = NaN; }],
      [range('zero point 256', /zeroPoint/), (p) => { p.zeroPoint = 256; }],
      [range('min above max', /min/), (p) => { p.min = 5; p.max = 4; }],
    ]);
    rejects(() => ({ size: 4, scale: 0.1, zeroPoint: 3 }), (p) => k.dequantize(p), [
      [range('scale -1', /scale/), (p) => { p.scale = -1; }],
      [range('size 0', /size/), (p) => { p.size = 0; }],
    ]);
  });

  it('run() refuses buffers that are too short or of the wrong type', () => {
    const g = k.gemm(gemm(), new Uint8Array(12));
    expect(() => g.run(new Uint8Array(5), new Uint8Array(8))).toThrow(RangeError);
    expect(() => g.run(new Uint8Array(5), new Uint8Array(8))).toThrow(/input/);
    expect(() => g.run(new Uint8Array(6), new Uint8Array(7))).toThrow(/output/);
    expect(() => g.run(new Int8Array(6) as unknown as Uint8Array, new Uint8Array(8))).toThrow(TypeError);
    // Longer buffers are fine: the executor hands out views into a larger arena.
    expect(() => g.run(new Uint8Array(60), new Uint8Array(80))).not.toThrow();

    const a = k.add({ ...add(), size: 3 });
    expect(() => a.run(new Uint8Array(3), new Uint8Array(2), new Uint8Array(3))).toThrow(/\bb\b/);
    const q = k.quantize({ size: 4, scale: 1, zeroPoint: 0, min: 0, max: 255 });
    expect(() => q.run(new Float32Array(3), new Uint8Array(4))).toThrow(RangeError);
    expect(() => q.run(new Float64Array(4) as unknown as Float32Array, new Uint8Array(4))).toThrow(TypeError);
    const d = k.dequantize({ size: 4, scale: 1, zeroPoint: 0 });
    expect(() => d.run(new Uint8Array(4), new Float32Array(3))).toThrow(/output/);
  });
});
