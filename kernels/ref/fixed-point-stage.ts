import type { Requantization } from '../kernel-set.js';
import { mbqm } from './requantize.js';

/**
 * The output stage of mean and requantize: clamp(zo + MBQM(x, multiplier, shift), min, max)
 * with TFLite's fixed-point requantization (ARITHMETIC.md). Both are per-tensor, and
 * both apply it once per channel or per table entry, never in a hot loop.
 */
export class FixedPointStage {
  private readonly multiplier: number;
  private readonly shift: number;
  private readonly zeroPoint: number;
  private readonly min: number;
  private readonly max: number;

  /** `r` must already be validated, with one channel; its values are copied. */
  constructor(r: Requantization) {
    this.multiplier = r.multiplier[0];
    this.shift = r.shift[0];
    this.zeroPoint = r.outputZeroPoint;
    this.min = r.min;
    this.max = r.max;
  }

  /** The output for an int32 x. */
  apply(x: number): number {
    const y = this.zeroPoint + mbqm(x, this.multiplier, this.shift);
    return y < this.min ? this.min : y > this.max ? this.max : y;
  }
}
