import type { Requantization, ScaleRequantization } from '../kernel-set.js';
import { quantizeMultiplier } from '../ref/requantize.js';
import type { ClampRange } from './activation-range.js';

/** Fixed-point multipliers and shifts for real multipliers, computed once at load. */
export function requantization(real: ArrayLike<number>, outputZeroPoint: number, range: ClampRange): Requantization {
  const multiplier = new Int32Array(real.length);
  const shift = new Int32Array(real.length);
  for (let i = 0; i < real.length; i++) {
    const q = quantizeMultiplier(real[i]);
    multiplier[i] = q.multiplier;
    shift[i] = q.shift;
  }
  return { multiplier, shift, outputZeroPoint, min: range.min, max: range.max };
}

/** float32 output scales f32(f32(inputScale * weightScale[c]) / outputScale), as XNNPACK computes them. */
export function scaleRequantization(
  inputScale: number,
  weightScale: Float64Array,
  outputScale: number,
  outputZeroPoint: number,
  range: ClampRange,
): ScaleRequantization {
  const f = Math.fround;
  const scale = new Float32Array(weightScale.length);
  for (let c = 0; c < scale.length; c++) scale[c] = f(f(f(inputScale) * f(weightScale[c])) / f(outputScale));
  return { scale, outputZeroPoint, min: range.min, max: range.max };
}
