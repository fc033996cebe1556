// HARD_SWISH, x * relu6(x + 3) / 6, in TensorFlow Lite's 16-bit fixed point (its quantized
// HardSwish kernel; ARITHMETIC.md). The output depends only on the input byte, so the load
// step tabulates the 256 cases here and a lookup kernel runs the table.

import * as v from './validate.js';

/** The constants TFLite's Prepare computes; zero points in the uint8 domain. */
export interface HardSwishParams {
  inputZeroPoint: number;
  outputZeroPoint: number;
  /** Q15 multiplier and exponent (<= 0) of (inputScale / 128) / outputScale. */
  outputMultiplier: number;
  outputShift: number;
  /** Q15 multiplier and exponent of (inputScale / 128) / (3 / 32768). */
  reluishMultiplier: number;
  reluishShift: number;
}

const OP = 'hardSwish';
const INT16_MIN = -32768;
const INT16_MAX = 32767;

const int16 = (x: number): number => (x << 16) >> 16;
const saturate16 = (x: number): number => (x > INT16_MAX ? INT16_MAX : x < INT16_MIN ? INT16_MIN : x);

/** gemmlowp's SaturatingRoundingDoublingHighMul on int16: round(a * b / 2^15), ties away from zero. */
function roundingHighMul(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  const ab = a * b;
  return Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / 32768);
}

/** The same without rounding: a * b / 2^15 truncated toward zero (TFLite keeps this one to cancel the other's bias). */
function truncatingHighMul(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  return Math.trunc((a * b) / 32768);
}

/** gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. */
function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = (1 << exponent) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + ((x & mask) > threshold ? 1 : 0);
}

/** The int16 multiplier TFLite keeps of a Q31 one: (m + 2^15) >> 16, saturated. */
export function int16Multiplier(q31: number): number {
  return q31 >= 2147483647 - 32768 ? INT16_MAX : (q31 + 32768) >> 16;
}

function integerIn(name: string, x: unknown, lo: number, hi: number): void {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${OP}: ${name} must be an integer, got ${String(x)}`);
  if (x < lo || x > hi) throw new RangeError(`${OP}: ${name} must be in ${lo}..${hi}, got ${x}`);
}

export function validateHardSwish(p: HardSwishParams): void {
  v.paramsObject(OP, p);
  v.uint8Value(OP, 'inputZeroPoint', p.inputZeroPoint);
  v.uint8Value(OP, 'outputZeroPoint', p.outputZeroPoint);
  integerIn('outputMultiplier', p.outputMultiplier, 0, INT16_MAX);
  integerIn('reluishMultiplier', p.reluishMultiplier, 0, INT16_MAX);
  // TFLite requires the output multiplier below 1, a right shift.
  integerIn('outputShift', p.outputShift, -30, 0);
  integerIn('reluishShift', p.reluishShift, -30, 30);
}

/** The output byte for input byte x (uint8 domain). */
export function hardSwishValue(p: HardSwishParams, x: number): number {
  const hires = (x - p.inputZeroPoint) * 128;
  const preshiftOutput = roundingHighMul(hires, p.outputMultiplier);
  let reluish = hires;
  if (p.reluishShift > 0) reluish = saturate16(reluish * 2 ** (p.reluishShift - 1));
  reluish = roundingHighMul(reluish, p.reluishMultiplier);
  if (p.reluishShift > 0) reluish = saturate16(reluish * 2);
  if (p.reluishShift < 0) reluish = roundingDivideByPOT(reluish, -p.reluishShift);
  // [-1, 1] in Q15 to [0, 1].
  reluish = (reluish + 32768) >> 1;
  const y = int16(roundingDivideByPOT(truncatingHighMul(reluish, preshiftOutput), -p.outputShift) + p.outputZeroPoint);
  return y < 0 ? 0 : y > 255 ? 255 : y;
}

/** The output byte of each input byte. */
export function hardSwishTable(p: HardSwishParams): Uint8Array {
  validateHardSwish(p);
  return Uint8Array.from({ length: 256 }, (_, x) => hardSwishValue(p, x));
}
