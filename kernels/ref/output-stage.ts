import type { Requantization } from '../kernel-set.js';
import { highMul, rdbpMask } from './requantize.js';

/**
 * A Requantization unpacked once into the per-channel constants MBQM needs, so that a
 * kernel's inner loop does no shifting-out of parameters, only arithmetic.
 */
export class OutputStage {
  // `declare`: with ES2022 class-field semantics, plain declarations would first define
  // each field as undefined, and V8 would then type the fields loosely and re-check
  // them on every load in the hot loop.
  declare private readonly mul: Float64Array;
  declare private readonly mulHi: Float64Array;
  declare private readonly mulLo: Float64Array;
  declare private readonly left: Int32Array;
  declare private readonly right: Int32Array;
  declare private readonly mask: Int32Array;
  declare private readonly half: Int32Array;
  declare private readonly zeroPoint: number;
  declare private readonly min: number;
  declare private readonly max: number;
  declare private readonly uniform: boolean;

  /** `r` must already be validated (multiplier >= 0, shift in range). */
  constructor(r: Requantization) {
    const n = r.multiplier.length;
    this.mul = new Float64Array(n);
    this.mulHi = new Float64Array(n);
    this.mulLo = new Float64Array(n);
    this.left = new Int32Array(n);
    this.right = new Int32Array(n);
    this.mask = new Int32Array(n);
    this.half = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      const m = r.multiplier[c];
      const s = r.shift[c];
      this.mul[c] = m;
      this.mulHi[c] = m >> 16;
      this.mulLo[c] = m & 0xffff;
      this.left[c] = s > 0 ? s : 0;
      this.right[c] = s > 0 ? 0 : -s;
      this.mask[c] = rdbpMask(this.right[c]);
      this.half[c] = this.mask[c] >> 1;
    }
    this.uniform = r.multiplier.every((m) => m === r.multiplier[0]) && r.shift.every((s) => s === r.shift[0]);
    this.zeroPoint = r.outputZeroPoint;
    this.min = r.min;
    this.max = r.max;
  }

  /** clamp(zo + MBQM(acc, multiplier[c], shift[c]), min, max) for an int32 acc. */
  apply(acc: number, c: number): number {
    return requantizeOne(
      acc, this.mul[c], this.mulHi[c], this.mulLo[c], this.left[c], this.right[c], this.mask[c], this.half[c],
      this.zeroPoint, this.min, this.max,
    );
  }

  /** out[outStart + c] = apply(acc[accStart + c], c) for the n channels of one pixel or row. */
  row(acc: Int32Array, accStart: number, out: Uint8Array, outStart: number, n: number): void {
    // Fields hoisted into locals: V8 reloads `this.x` in the loop otherwise.
    const { mul, mulHi, mulLo, left, right, mask, half, zeroPoint, min, max } = this;
    if (this.uniform) {
      // Per-tensor quantization: the constants stay in registers.
      const m = mul[0], mh = mulHi[0], ml = mulLo[0], l = left[0], r = right[0], k = mask[0], h = half[0];
      for (let c = 0; c < n; c++) {
        out[outStart + c] = requantizeOne(acc[accStart + c], m, mh, ml, l, r, k, h, zeroPoint, min, max);
      }
      return;
    }
    for (let c = 0; c < n; c++) {
      out[outStart + c] = requantizeOne(
        acc[accStart + c], mul[c], mulHi[c], mulLo[c], left[c], right[c], mask[c], half[c], zeroPoint, min, max,
      );
    }
  }
}

function requantizeOne(
  acc: number, mul: number, mulHi: number, mulLo: number, left: number, right: number, mask: number, half: number,
  zeroPoint: number, min: number, max: number,
): number {
  // multiplier >= 0 (validated) rules out SRDHM's one saturating case.
  const y = highMul(acc << left, mul, mulHi, mulLo);
  // RDBP and the clamp without branches: activations make the rounding and clamp
  // decisions random, and mispredicted branches cost more than the arithmetic here.
  let r = (y >> right) + ((half + (y >>> 31) - (y & mask)) >>> 31);
  // Rarely taken, so predictable; it keeps the clamp arithmetic below inside int32.
  r = r > 1023 ? 1023 : r < -1023 ? -1023 : r;
  const d = zeroPoint + r - min;
  const v = min + (d & ~(d >> 31));
  const e = max - v;
  return max - (e & ~(e >> 31));
}
