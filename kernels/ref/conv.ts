// General KxK convolution (MobileNet's first layer: 3x3, stride 2, over 3 channels).
// For one output pixel and one kernel row, the valid taps cover a contiguous run of
// (kx, ic) in the NHWC input and in the OHWI weights, so each kernel row is one dot
// product over a span. Weights are centred once and packed BLOCK output channels wide
// (interleaved), so one input load feeds BLOCK accumulators. The input is centred on
// the fly, which makes padding taps simply absent.

import type { ConvParams, UnaryKernel } from '../kernel-set.js';
import { tapHi, tapLo, validateConvParams } from './conv-geometry.js';
import { OutputStage } from './output-stage.js';
import * as v from './validate.js';

const OP = 'conv';
const BLOCK = 4;

export function createConv(p: ConvParams, weights: Uint8Array): UnaryKernel {
  const { inputSize, outputSize } = validateConvParams(OP, p);
  const { inputH, inputW, inputC, outputH, outputW, outputC, kernelH, kernelW } = p;
  const taps = kernelH * kernelW * inputC;
  v.weightArray(OP, weights, v.elementCount(OP, 'weights', outputC, taps));

  const padded = Math.ceil(outputC / BLOCK) * BLOCK;
  // packed[(o - o % BLOCK) * taps + t * BLOCK + o % BLOCK] = w[o][t] - zw[o]
  const packed = new Float64Array(padded * taps);
  for (let o = 0; o < outputC; o++) {
    const zw = p.weightZeroPoint[o];
    const base = (o - (o % BLOCK)) * taps + (o % BLOCK);
    for (let t = 0; t < taps; t++) packed[base + t * BLOCK] = weights[o * taps + t] - zw;
  }
  const bias = new Float64Array(padded);
  bias.set(p.bias);
  const stage = new OutputStage(p.requant);
  const acc = new Int32Array(padded);
  const g = {
    inputH, inputW, inputC, kernelH, kernelW, taps, padded,
    strideH: p.strideH, strideW: p.strideW, padTop: p.padTop, padLeft: p.padLeft, zx: p.inputZeroPoint,
  };

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      for (let oy = 0; oy < outputH; oy++) {
        for (let ox = 0; ox < outputW; ox++) {
          pixel(input, oy, ox, g, packed, bias, acc);
          stage.row(acc, 0, output, (oy * outputW + ox) * outputC, outputC);
        }
      }
    },
  };
}

interface Geometry {
  inputH: number; inputW: number; inputC: number; kernelH: number; kernelW: number;
  taps: number; padded: number; strideH: number; strideW: number; padTop: number; padLeft: number; zx: number;
}

/** acc[o] for every (padded) output channel o of output pixel (oy, ox). */
function pixel(
  input: Uint8Array, oy: number, ox: number, g: Geometry,
  packed: Float64Array, bias: Float64Array, acc: Int32Array,
): void {
  const iy0 = oy * g.strideH - g.padTop;
  const ix0 = ox * g.strideW - g.padLeft;
  const kyLo = tapLo(iy0), kyHi = tapHi(iy0, g.kernelH, g.inputH);
  const kxLo = tapLo(ix0), kxHi = tapHi(ix0, g.kernelW, g.inputW);
  const span = (kxHi - kxLo) * g.inputC;
  const zx = g.zx;
  for (let o = 0; o < g.padded; o += BLOCK) {
    let a0 = bias[o], a1 = bias[o + 1], a2 = bias[o + 2], a3 = bias[o + 3];
    for (let ky = kyLo; ky < kyHi; ky++) {
      const xs = ((iy0 + ky) * g.inputW + ix0 + kxLo) * g.inputC;
      let wp = o * g.taps + (ky * g.kernelW + kxLo) * g.inputC * BLOCK;
      for (let i = 0; i < span; i++) {
        const x = input[xs + i] - zx;
        a0 += x * packed[wp]; a1 += x * packed[wp + 1]; a2 += x * packed[wp + 2]; a3 += x * packed[wp + 3];
        wp += BLOCK;
      }
    }
    acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
  }
}
