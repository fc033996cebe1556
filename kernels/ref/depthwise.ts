// Depthwise convolution. Weights (1HWO) are centred once, keeping their tap-major,
// channel-minor layout, which matches the NHWC input: the inner loop walks channels.
// Two paths:
// - 3x3 with depth multiplier 1 (every MobileNet depthwise layer): output pixels whose
//   window lies wholly inside the input run a branch-free 9-tap loop with the input
//   zero point folded into the bias; border pixels take the general path.
// Requantization runs per pixel after the accumulation loop, which keeps that loop
// small enough for the JIT to hold the nine weights in registers.
// - general (any kernel size and depth multiplier): per valid tap, centred input.

import type { DepthwiseParams, UnaryKernel } from '../kernel-set.js';
import { tapHi, tapLo, validateConvParams } from './conv-geometry.js';
import { ScaleStage } from './scale-stage.js';
import * as v from './validate.js';

const OP = 'depthwise';

interface Layer {
  inputH: number; inputW: number; inputC: number; outputH: number; outputW: number; outputC: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number; padTop: number; padLeft: number;
  depthMultiplier: number; zx: number;
  /** (w - zw[o]) at [ky][kx][o]. */
  weights: Int32Array;
  bias: Int32Array;
  /** bias[o] - zx * sum over taps (w - zw[o]), wrapped to int32: the bias of a pixel with no padding taps. */
  foldedBias: Int32Array;
  /** Accumulators of one output pixel (general path) and of two (3x3 interior). */
  acc: Int32Array;
  pairAcc: Int32Array;
  stage: ScaleStage;
}

export function validateDepthwise(p: DepthwiseParams, weights: Uint8Array): v.Sizes {
  const sizes = validateConvParams(OP, p);
  const m = v.positiveInt(OP, 'depthMultiplier', p.depthMultiplier);
  if (p.outputC !== p.inputC * m) {
    throw new RangeError(`${OP}: outputC (${p.outputC}) must equal inputC (${p.inputC}) * depthMultiplier (${m})`);
  }
  v.weightArray(OP, weights, v.elementCount(OP, 'weights', p.kernelH * p.kernelW, p.outputC));
  return sizes;
}

export function createDepthwise(p: DepthwiseParams, weights: Uint8Array): UnaryKernel {
  const { inputSize, outputSize } = validateDepthwise(p, weights);
  const m = p.depthMultiplier;
  const taps = p.kernelH * p.kernelW;
  const n = p.outputC;

  const centred = new Int32Array(taps * n);
  const foldedBias = new Int32Array(n);
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
    acc: new Int32Array(n), pairAcc: new Int32Array(2 * n), stage: new ScaleStage(p.requant),
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
      if (m === 1) {
        for (let ic = 0; ic < c; ic++) acc[ic] += (input[xs + ic] - zx) * weights[ws + ic];
        continue;
      }
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
    interiorRow3x3(l, input, output, oy, oxLo, oxHi);
    for (let ox = oxHi; ox < outputW; ox++) generalPixel(l, input, output, oy, ox);
  }
}

/**
 * Output pixels oxLo..oxHi-1 of row oy, all windows inside the input, two pixels per
 * pass so that each weight load feeds both. The sums are exact in float64 and `| 0`
 * wraps them like ARITHMETIC.md's int32 accumulator, which lets V8 use int32 adds.
 */
function interiorRow3x3(l: Layer, input: Uint8Array, output: Uint8Array, oy: number, oxLo: number, oxHi: number): void {
  const { inputC: c, weights: w, foldedBias: fb, pairAcc } = l;
  const row = l.inputW * c;
  const step = l.strideW * c;
  const c2 = 2 * c;
  let p = ((oy * l.strideH - l.padTop) * l.inputW + oxLo * l.strideW - l.padLeft) * c;
  let ox = oxLo;
  let out = (oy * l.outputW + ox) * c;
  for (; ox + 2 <= oxHi; ox += 2, p += 2 * step, out += c2) {
    const q = p + row, r = q + row;
    for (let ic = 0; ic < c; ic++) {
      const w0 = w[ic], w1 = w[c + ic], w2 = w[c2 + ic];
      const w3 = w[3 * c + ic], w4 = w[4 * c + ic], w5 = w[5 * c + ic];
      const w6 = w[6 * c + ic], w7 = w[7 * c + ic], w8 = w[8 * c + ic];
      const b = fb[ic];
      const p0 = p + ic, q0 = q + ic, r0 = r + ic;
      const p1 = p0 + step, q1 = q0 + step, r1 = r0 + step;
      const a0 = (b
        + input[p0] * w0 + input[p0 + c] * w1 + input[p0 + c2] * w2
        + input[q0] * w3 + input[q0 + c] * w4 + input[q0 + c2] * w5
        + input[r0] * w6 + input[r0 + c] * w7 + input[r0 + c2] * w8) | 0;
      const a1 = (b
        + input[p1] * w0 + input[p1 + c] * w1 + input[p1 + c2] * w2
        + input[q1] * w3 + input[q1 + c] * w4 + input[q1 + c2] * w5
        + input[r1] * w6 + input[r1 + c] * w7 + input[r1 + c2] * w8) | 0;
      pairAcc[ic] = a0;
      pairAcc[c + ic] = a1;
    }
    l.stage.row(pairAcc, 0, output, out, c);
    l.stage.row(pairAcc, c, output, out + c, c);
  }
  if (ox < oxHi) {
    const q = p + row, r = q + row;
    for (let ic = 0; ic < c; ic++) {
      pairAcc[ic] = (fb[ic]
        + input[p + ic] * w[ic] + input[p + c + ic] * w[c + ic] + input[p + c2 + ic] * w[c2 + ic]
        + input[q + ic] * w[3 * c + ic] + input[q + c + ic] * w[4 * c + ic] + input[q + c2 + ic] * w[5 * c + ic]
        + input[r + ic] * w[6 * c + ic] + input[r + c + ic] * w[7 * c + ic] + input[r + c2 + ic] * w[8 * c + ic]) | 0;
    }
    l.stage.row(pairAcc, 0, output, out, c);
  }
}
