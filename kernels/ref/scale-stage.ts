import type { ScaleRequantization } from '../kernel-set.js';

/** Adding and subtracting 1.5 * 2^52 rounds a float64 below 2^51 in magnitude to an integer, ties to even. */
const ROUND = 6755399441055744;

/**
 * The output stage of conv, depthwise and GEMM: XNNPACK's fp32 requantization
 * (ARITHMETIC.md), out = zo + roundHalfEven(clamp(f32(f32(acc) * scale[c]), min - zo, max - zo)).
 * f32(acc) * scale is exact in float64 (two 24-bit significands), so Math.fround of it is
 * the float32 multiply, rounded once.
 */
export class ScaleStage {
  // `declare`: with ES2022 class-field semantics, plain declarations would first define
  // each field as undefined, and V8 would then type the fields loosely and re-check
  // them on every load in the hot loop.
  declare private readonly scale: Float64Array;
  declare private readonly zeroPoint: number;
  declare private readonly min: number;
  declare private readonly max: number;
  declare private readonly uniform: boolean;

  /** `r` must already be validated. */
  constructor(r: ScaleRequantization) {
    // Float64Array: the loop reads doubles without a float32 conversion per load.
    this.scale = Float64Array.from(r.scale);
    this.uniform = r.scale.every((s) => s === r.scale[0]);
    this.zeroPoint = r.outputZeroPoint;
    this.min = r.min;
    this.max = r.max;
  }

  /** out[outStart + c] = the output of acc[accStart + c] in channel c, for the n channels of one pixel or row. */
  row(acc: Int32Array, accStart: number, out: Uint8Array, outStart: number, n: number): void {
    // Fields hoisted into locals: V8 reloads `this.x` in the loop otherwise.
    const { scale, zeroPoint, min, max } = this;
    if (this.uniform) {
      // Per-tensor quantization: the scale stays in a register.
      const s = scale[0];
      for (let c = 0; c < n; c++) out[outStart + c] = requantizeOne(acc[accStart + c], s, zeroPoint, min, max);
      return;
    }
    for (let c = 0; c < n; c++) out[outStart + c] = requantizeOne(acc[accStart + c], scale[c], zeroPoint, min, max);
  }
}

function requantizeOne(acc: number, scale: number, zeroPoint: number, min: number, max: number): number {
  // |v| < 2^31 * 256, so the rounding trick is exact; rounding before clamping gives the
  // same integer because the bounds are integers.
  const y = Math.fround(Math.fround(acc) * scale) + ROUND - ROUND;
  // Rarely taken, so predictable; it keeps the integer clamp below inside int32. That
  // clamp is branch-free: activations make its decisions random, and mispredicted
  // branches cost more than the arithmetic here.
  const r = y > 1023 ? 1023 : y < -1023 ? -1023 : y;
  const d = zeroPoint + r - min;
  const v = min + (d & ~(d >> 31));
  const e = max - v;
  return max - (e & ~(e >> 31));
}
