import type { Requantization } from '../kernel-set.js';
import { roundedProduct } from './requantize.js';

/**
 * A Requantization unpacked once into the per-channel constants MBQM needs
 * (multiplier, 2^(total-1) and 2^-total for total = 31 - shift), so that a kernel's
 * inner loop only does arithmetic.
 */
export class OutputStage {
  // `declare`: with ES2022 class-field semantics, plain declarations would first define
  // each field as undefined, and V8 would then type the fields loosely and re-check
  // them on every load in the hot loop.
  declare private readonly mul: Float64Array;
  declare private readonly half: Float64Array;
  declare private readonly inverse: Float64Array;
  declare private readonly total: Int32Array;
  declare private readonly zeroPoint: number;
  declare private readonly min: number;
  declare private readonly max: number;
  declare private readonly uniform: boolean;

  /** `r` must already be validated (multiplier >= 0, shift in range). */
  constructor(r: Requantization) {
    this.mul = Float64Array.from(r.multiplier);
    this.total = Int32Array.from(r.shift, (s) => 31 - s);
    this.half = Float64Array.from(this.total, (t) => Math.pow(2, t - 1));
    this.inverse = Float64Array.from(this.total, (t) => Math.pow(2, -t));
    this.uniform = r.multiplier.every((m) => m === r.multiplier[0]) && r.shift.every((s) => s === r.shift[0]);
    this.zeroPoint = r.outputZeroPoint;
    this.min = r.min;
    this.max = r.max;
  }

  /** clamp(zo + MBQM(acc, multiplier[c], shift[c]), min, max) for an int32 acc. */
  apply(acc: number, c: number): number {
    return requantizeOne(acc, this.mul[c], this.half[c], this.inverse[c], this.total[c], this.zeroPoint, this.min, this.max);
  }

  /** out[outStart + c] = apply(acc[accStart + c], c) for the n channels of one pixel or row. */
  row(acc: Int32Array, accStart: number, out: Uint8Array, outStart: number, n: number): void {
    // Fields hoisted into locals: V8 reloads `this.x` in the loop otherwise.
    const { mul, half, inverse, total, zeroPoint, min, max } = this;
    if (this.uniform) {
      // Per-tensor quantization: the constants stay in registers.
      const m = mul[0], h = half[0], i = inverse[0], t = total[0];
      for (let c = 0; c < n; c++) out[outStart + c] = requantizeOne(acc[accStart + c], m, h, i, t, zeroPoint, min, max);
      return;
    }
    for (let c = 0; c < n; c++) {
      out[outStart + c] = requantizeOne(acc[accStart + c], mul[c], half[c], inverse[c], total[c], zeroPoint, min, max);
    }
  }
}

function requantizeOne(
  acc: number, mul: number, half: number, inverse: number, total: number, zeroPoint: number, min: number, max: number,
): number {
  const y = roundedProduct(acc, mul, half, inverse, total);
  // Rarely taken, so predictable; it stands in for saturate32 and keeps the clamp below
  // inside int32. The clamp itself is branch-free: activations make its decisions
  // random, and mispredicted branches cost more than the arithmetic here.
  const r = y > 1023 ? 1023 : y < -1023 ? -1023 : y;
  const d = zeroPoint + r - min;
  const v = min + (d & ~(d >> 31));
  const e = max - v;
  return max - (e & ~(e >> 31));
}
