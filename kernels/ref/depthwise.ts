// Depthwise convolution. Weights (1HWO) are centred once, keeping their tap-major,
// channel-minor layout, which matches the NHWC input: the inner loop walks channels.
// Two paths:
// - 3x3 with depth multiplier 1 (every MobileNet depthwise layer): output pixels whose
//   window lies wholly inside the input run a branch-free 9-tap loop with the input
//   zero point folded into the bias; border pixels take the general path.
// - general (any kernel size and depth multiplier): per valid tap, centred input.

import type { DepthwiseParams, UnaryKernel } from '../kernel-set.js';
import { tapHi, tapLo, validateConvParams } from './conv-geometry.js';
import { OutputStage } from './output-stage.js';
import * as v from './validate.js';

const OP = 'depthwise';

interface Layer {
  inputH: number; inputW: number; inputC: number; outputH: number; outputW: number; outputC: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number; padTop: number; padLeft: number;
  depthMultiplier: number; zx: number;
  /** (w - zw[o]) at [ky][kx][o]. */
  weights: Float64Array;
  bias: Int32Array;
  /** bias[o] - zx * sum over taps (w - zw[o]): the bias of a pixel with no padding taps. */
  foldedBias: Float64Array;
  acc: Int32Array;
  stage: OutputStage;
}

export function createDepthwise(p: DepthwiseParams, weights: Uint8Array): UnaryKernel {
  const { inputSize, outputSize } = validateConvParams(OP, p);
  const m = v.positiveInt(OP, 'depthMultiplier', p.depthMultiplier);
  if (p.outputC !== p.inputC * m) {
    throw new RangeError(`${OP}: outputC (${p.outputC}) must equal inputC (${p.inputC}) * depthMultiplier (${m})`);
  }
  const taps = p.kernelH * p.kernelW;
  const n = p.outputC;
  v.weightArray(OP, weights, v.elementCount(OP, 'weights', taps, n));

  const centred = new Float64Array(taps * n);
  const foldedBias = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    const zw = p.weightZeroPoint[o];
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const w = weights[t * n + o] - zw;
      centred[t * n + o] = w;
      sum += w;
    }
    foldedBias[o] = p.bias[o] - p.inputZeroPoint * sum;
  }
  const layer: Layer = {
    inputH: p.inputH, inputW: p.inputW, inputC: p.inputC,
    outputH: p.outputH, outputW: p.outputW, outputC: n,
    kernelH: p.kernelH, kernelW: p.kernelW, strideH: p.strideH, strideW: p.strideW,
    padTop: p.padTop, padLeft: p.padLeft, depthMultiplier: m, zx: p.inputZeroPoint,
    weights: centred, bias: Int32Array.from(p.bias), foldedBias,
    acc: new Int32Array(n), stage: new OutputStage(p.requant),
  };
  const body = p.kernelH === 3 && p.kernelW === 3 && m === 1 ? run3x3 : runGeneral;

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      body(layer, input, output);
    },
  };
}

function runGeneral(l: Layer, input: Uint8Array, output: Uint8Array): void {
  for (let oy = 0; oy < l.outputH; oy++) {
    for (let ox = 0; ox < l.outputW; ox++) generalPixel(l, input, output, oy, ox);
  }
}

function generalPixel(l: Layer, input: Uint8Array, output: Uint8Array, oy: number, ox: number): void {
  const { inputC: c, outputC: n, depthMultiplier: m, weights, acc, zx } = l;
  const iy0 = oy * l.strideH - l.padTop;
  const ix0 = ox * l.strideW - l.padLeft;
  const kyHi = tapHi(iy0, l.kernelH, l.inputH);
  const kxLo = tapLo(ix0), kxHi = tapHi(ix0, l.kernelW, l.inputW);
  acc.set(l.bias);
  for (let ky = tapLo(iy0); ky < kyHi; ky++) {
    for (let kx = kxLo; kx < kxHi; kx++) {
      const xs = ((iy0 + ky) * l.inputW + ix0 + kx) * c;
      const ws = (ky * l.kernelW + kx) * n;
      for (let ic = 0; ic < c; ic++) {
        const x = input[xs + ic] - zx;
        const o = ic * m;
        for (let j = 0; j < m; j++) acc[o + j] += x * weights[ws + o + j];
      }
    }
  }
  l.stage.row(acc, 0, output, (oy * l.outputW + ox) * n, n);
}

function run3x3(l: Layer, input: Uint8Array, output: Uint8Array): void {
  const { inputH, inputW, outputH, outputW, strideH, strideW, padTop, padLeft } = l;
  // Output columns whose three input columns all lie inside the input.
  const oxLo = Math.min(outputW, Math.ceil(padLeft / strideW));
  const oxHi = inputW < 3 ? oxLo : Math.max(oxLo, Math.min(outputW, Math.floor((inputW - 3 + padLeft) / strideW) + 1));
  for (let oy = 0; oy < outputH; oy++) {
    const iy0 = oy * strideH - padTop;
    if (iy0 < 0 || iy0 + 3 > inputH) {
      for (let ox = 0; ox < outputW; ox++) generalPixel(l, input, output, oy, ox);
      continue;
    }
    for (let ox = 0; ox < oxLo; ox++) generalPixel(l, input, output, oy, ox);
    for (let ox = oxLo; ox < oxHi; ox++) interior3x3(l, input, output, oy, ox);
    for (let ox = oxHi; ox < outputW; ox++) generalPixel(l, input, output, oy, ox);
  }
}

function interior3x3(l: Layer, input: Uint8Array, output: Uint8Array, oy: number, ox: number): void {
  const { inputC: c, weights: w, foldedBias, acc } = l;
  const row = l.inputW * c;
  const p0 = ((oy * l.strideH - l.padTop) * l.inputW + ox * l.strideW - l.padLeft) * c;
  const p1 = p0 + row, p2 = p1 + row;
  const c2 = 2 * c;
  for (let ic = 0; ic < c; ic++) {
    acc[ic] = foldedBias[ic]
      + input[p0 + ic] * w[ic] + input[p0 + c + ic] * w[c + ic] + input[p0 + c2 + ic] * w[c2 + ic]
      + input[p1 + ic] * w[3 * c + ic] + input[p1 + c + ic] * w[4 * c + ic] + input[p1 + c2 + ic] * w[5 * c + ic]
      + input[p2 + ic] * w[6 * c + ic] + input[p2 + c + ic] * w[7 * c + ic] + input[p2 + c2 + ic] * w[8 * c + ic];
  }
  l.stage.row(acc, 0, output, (oy * l.outputW + ox) * c, c);
}
