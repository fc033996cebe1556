import type { Requantization } from '../kernel-set.js';
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
