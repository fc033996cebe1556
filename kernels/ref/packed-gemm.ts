// The packed GEMM both gemm.ts (1x1 convolutions, fully connected) and conv.ts (after
// im2col) run: output[r][o] = requantize(bias[o] + sum_k (x[r][k] - zx) * (w[o][k] - zw[o])).
// The weights are centred (w - zw[o]) once and packed in blocks of BLOCK output
// channels, k-major inside a block, so the inner loop reads them sequentially; the input
// zero point is folded into the bias:
//   acc = bias - zx * sum_k (w - zw) + sum_k x * (w - zw)
// Two rows times BLOCK channels per pass keeps eight float64 accumulators in registers;
// float64 holds every partial sum exactly (|acc| < 2^53), and the Int32Array store wraps
// the total to int32 as ARITHMETIC.md defines. Requantization runs per row afterwards,
// in its own loop, so the dot-product loop stays small enough for the JIT to keep in
// registers.

import type { GemmParams } from '../kernel-set.js';
import { ScaleStage } from './scale-stage.js';

const BLOCK = 4;

export class PackedGemm {
  declare private readonly k: number;
  declare private readonly n: number;
  declare private readonly padded: number;
  declare private readonly packed: Float64Array;
  declare private readonly foldedBias: Float64Array;
  declare private readonly stage: ScaleStage;
  declare private readonly acc: Int32Array;

  /** `p` and `weights` (outputC x inputC) must already be validated; the rows come with each run. */
  constructor(p: Omit<GemmParams, 'rows'>, weights: Uint8Array) {
    const k = p.inputC;
    this.k = k;
    this.n = p.outputC;
    this.padded = Math.ceil(p.outputC / BLOCK) * BLOCK;
    this.packed = new Float64Array(this.padded * k);
    this.foldedBias = new Float64Array(this.padded);
    for (let o = 0; o < p.outputC; o++) {
      const zw = p.weightZeroPoint[o];
      const base = (o - (o % BLOCK)) * k + (o % BLOCK);
      let sum = 0;
      for (let i = 0; i < k; i++) {
        const w = weights[o * k + i] - zw;
        this.packed[base + i * BLOCK] = w;
        sum += w;
      }
      this.foldedBias[o] = p.bias[o] - p.inputZeroPoint * sum;
    }
    this.stage = new ScaleStage(p.requant);
    this.acc = new Int32Array(2 * this.padded);
  }

  /** `rows` rows of inputC bytes from input[inputStart], outputC bytes each to output[outputStart]. */
  run(input: Uint8Array, inputStart: number, rows: number, output: Uint8Array, outputStart: number): void {
    const { k, n, padded, packed, foldedBias, stage, acc } = this;
    let r = 0;
    for (; r + 2 <= rows; r += 2) {
      twoRows(input, inputStart + r * k, k, padded, packed, foldedBias, acc);
      stage.row(acc, 0, output, outputStart + r * n, n);
      stage.row(acc, padded, output, outputStart + (r + 1) * n, n);
    }
    if (r < rows) {
      oneRow(input, inputStart + r * k, k, padded, packed, foldedBias, acc);
      stage.row(acc, 0, output, outputStart + r * n, n);
    }
  }
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
