import type { AddParams } from '../../kernel-set.js';
import { createAdd } from '../../ref/add.js';
import type { AddOptions, SoftmaxOptions } from '../../tflite/model-types.js';
import { activationQuant, describeTensor } from '../quantized-tensor.js';
import { requantization } from '../requantization.js';
import type { Lowered } from '../steps.js';
import { constantScalarLookup } from './constant-operand.js';
import { elementCount, type LoweringContext } from './context.js';

/** The binary exponent of a positive normal float32, read from its bits. */
function float32Exponent(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  return (bits >>> 23) - 127;
}

const roundHalfEven = (x: number): number => x + 6755399441055744 - 6755399441055744;

/** Quantized ADD as XNNPACK computes it (ARITHMETIC.md): two integer multipliers and one shift. */
export function lowerAdd(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as AddOptions;
  const a = ctx.input(0, 'input A');
  const b = ctx.input(1, 'input B');
  const y = ctx.output();
  const same = (s: number[], t: number[]): boolean => s.length === t.length && s.every((d, i) => d === t[i]);
  const constant = Boolean(a.data || b.data);
  if (!constant && (!same(a.shape, b.shape) || !same(a.shape, y.shape))) {
    ctx.fail(`inputs [${a.shape}] and [${b.shape}] to output [${y.shape}]: broadcasting is not supported`);
  }
  const aq = activationQuant(ctx.model, a, 'input A');
  const bq = activationQuant(ctx.model, b, 'input B');
  const yq = activationQuant(ctx.model, y, 'output');
  const f = Math.fround;
  const ratioA = f(f(aq.scale) / f(yq.scale));
  const ratioB = f(f(bq.scale) / f(yq.scale));
  for (const [name, r] of [['A', ratioA], ['B', ratioB]] as const) {
    if (!(r >= 2 ** -10 && r < 2 ** 8)) ctx.fail(`input ${name} scale / output scale = ${r}, outside [2^-10, 2^8)`);
  }
  const shift = 20 - float32Exponent(Math.max(ratioA, ratioB));
  const range = ctx.clamp(o.activation, yq);
  const params = (size: number): AddParams => ({
    size,
    inputZeroPointA: aq.zeroPoint,
    inputZeroPointB: bq.zeroPoint,
    multiplierA: roundHalfEven(ratioA * 2 ** shift),
    multiplierB: roundHalfEven(ratioB * 2 ** shift),
    shift,
    outputZeroPoint: yq.zeroPoint,
    min: range.min,
    max: range.max,
  });
  if (constant) return constantScalarLookup(ctx, a, b, y, (n) => createAdd(params(n)));
  return ctx.step([a, b], y, { kind: 'add', params: params(elementCount(y)) });
}

export function lowerSoftmax(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as SoftmaxOptions;
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const size = ctx.sameSize(x, y);
  const channels = x.shape[x.shape.length - 1] ?? 1;
  const [xq, yq] = ctx.quant(x, y);
  const expTable = new Float64Array(256);
  for (let d = 0; d < 256; d++) expTable[d] = Math.exp(-o.beta * xq.scale * d);
  return ctx.step([x], y, {
    kind: 'softmax',
    params: { rows: size / channels, channels, expTable, inverseOutputScale: 1 / yq.scale, outputZeroPoint: yq.zeroPoint, min: 0, max: 255 },
  });
}

/** QUANTIZE from float32, or between two quantizations (e.g. the int8 -> uint8 output of TF2 models). */
export function lowerQuantize(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const size = ctx.sameSize(x, y);
  const yq = activationQuant(ctx.model, y, 'output');
  if (x.type === 'float32') {
    return ctx.step([x], y, { kind: 'quantize', params: { size, scale: yq.scale, zeroPoint: yq.zeroPoint, min: 0, max: 255 } });
  }
  const xq = activationQuant(ctx.model, x, 'input');
  const requant = requantization([xq.scale / yq.scale], yq.zeroPoint, { min: 0, max: 255 });
  return ctx.step([x], y, { kind: 'requantize', params: { size, inputZeroPoint: xq.zeroPoint, requant } });
}

export function lowerDequantize(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  if (y.type !== 'float32') ctx.fail(`output ${describeTensor(y)} has type ${y.type}; expected float32`);
  if (x.data) ctx.fail(`dequantizing constant ${describeTensor(x)} is not supported`);
  const size = ctx.sameSize(x, y);
  const xq = activationQuant(ctx.model, x, 'input');
  return ctx.step([x], y, { kind: 'dequantize', params: { size, scale: xq.scale, zeroPoint: xq.zeroPoint } });
}
