// Pointwise (1x1) convolution and fully connected as GEMM: output[r][o] for rows r,
// output channels o, over inputC. The weights are centred (w - zw[o]) once and packed
// in blocks of BLOCK output channels, k-major inside a block, so the inner loop reads
// them sequentially; the input zero point is folded into the bias:
//   acc = bias - zx * sum_k (w - zw) + sum_k x * (w - zw)
// Two rows times BLOCK channels per pass keeps eight float64 accumulators in registers;
// float64 holds every partial sum exactly (|acc| < 2^53), and `| 0` wraps the total to
// int32 as ARITHMETIC.md defines. Requantization runs per row afterwards, in its own
// loop, so the dot-product loop stays small enough for the JIT to keep in registers.

import type { GemmParams, UnaryKernel } from '../kernel-set.js';
import { OutputStage } from './output-stage.js';
import * as v from './validate.js';

const OP = 'gemm';
const BLOCK = 4;

export function createGemm(p: GemmParams, weights: Uint8Array): UnaryKernel {
  v.paramsObject(OP, p);
  const rows = v.positiveInt(OP, 'rows', p.rows);
  const inputC = v.positiveInt(OP, 'inputC', p.inputC);
  const outputC = v.positiveInt(OP, 'outputC', p.outputC);
  const zx = v.uint8Value(OP, 'inputZeroPoint', p.inputZeroPoint);
  v.channelArrays(OP, p.weightZeroPoint, p.bias, outputC);
  v.requantization(OP, p.requant, outputC);
  v.weightArray(OP, weights, v.elementCount(OP, 'weights', outputC, inputC));
  const inputSize = v.elementCount(OP, 'input', rows, inputC);
  const outputSize = v.elementCount(OP, 'output', rows, outputC);

  const padded = Math.ceil(outputC / BLOCK) * BLOCK;
  const packed = new Float64Array(padded * inputC);
  const foldedBias = new Float64Array(padded);
  for (let o = 0; o < outputC; o++) {
    const zw = p.weightZeroPoint[o];
    const base = (o - (o % BLOCK)) * inputC + (o % BLOCK);
    let sum = 0;
    for (let k = 0; k < inputC; k++) {
      const w = weights[o * inputC + k] - zw;
      packed[base + k * BLOCK] = w;
      sum += w;
    }
    foldedBias[o] = p.bias[o] - zx * sum;
  }
  const stage = new OutputStage(p.requant);
  const acc = new Int32Array(2 * padded);

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      let r = 0;
      for (; r + 2 <= rows; r += 2) {
        twoRows(input, r * inputC, inputC, padded, packed, foldedBias, acc);
        stage.row(acc, 0, output, r * outputC, outputC);
        stage.row(acc, padded, output, (r + 1) * outputC, outputC);
      }
      if (r < rows) {
        oneRow(input, r * inputC, inputC, padded, packed, foldedBias, acc);
        stage.row(acc, 0, output, r * outputC, outputC);
      }
    },
  };
}

/** acc[o] and acc[n + o] for input rows starting at x0 and x0 + k. */
function twoRows(
  input: Uint8Array, x0: number, k: number, n: number,
  packed: Float64Array, foldedBias: Float64Array, acc: Int32Array,
): void {
  const x1 = x0 + k;
  for (let o = 0; o < n; o += BLOCK) {
    let a0 = foldedBias[o], a1 = foldedBias[o + 1], a2 = foldedBias[o + 2], a3 = foldedBias[o + 3];
    let c0 = a0, c1 = a1, c2 = a2, c3 = a3;
    let wp = o * k;
    for (let i = 0; i < k; i++) {
      const u = input[x0 + i];
      const t = input[x1 + i];
      const w0 = packed[wp], w1 = packed[wp + 1], w2 = packed[wp + 2], w3 = packed[wp + 3];
      a0 += u * w0; a1 += u * w1; a2 += u * w2; a3 += u * w3;
      c0 += t * w0; c1 += t * w1; c2 += t * w2; c3 += t * w3;
      wp += BLOCK;
    }
    acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
    acc[n + o] = c0; acc[n + o + 1] = c1; acc[n + o + 2] = c2; acc[n + o + 3] = c3;
  }
}

function oneRow(
  input: Uint8Array, x0: number, k: number, n: number,
  packed: Float64Array, foldedBias: Float64Array, acc: Int32Array,
): void {
  for (let o = 0; o < n; o += BLOCK) {
    let a0 = foldedBias[o], a1 = foldedBias[o + 1], a2 = foldedBias[o + 2], a3 = foldedBias[o + 3];
    let wp = o * k;
    for (let i = 0; i < k; i++) {
      const u = input[x0 + i];
      a0 += u * packed[wp]; a1 += u * packed[wp + 1]; a2 += u * packed[wp + 2]; a3 += u * packed[wp + 3];
      wp += BLOCK;
    }
    acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
  }
}
