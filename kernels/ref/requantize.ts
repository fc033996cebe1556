// TFLite's fixed-point requantization (ARITHMETIC.md), bit exact in int32 semantics.
// The 64-bit product of SRDHM is formed from float64 partial products that are each
// exact, so no BigInt is needed on the hot path.

const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** highMul's exact single-product range is [-SMALL, SMALL). */
const SMALL = 2097152;

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** Shifts the kernels accept: a left shift of 31 would leave only the sign bit. */
export const MIN_SHIFT = -31;
export const MAX_SHIFT = 30;

/**
 * TFLite's QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in
 * [2^30, 2^31), mantissa rounded half away from zero. Reals too small for shift -31
 * become 0/0 as in TFLite; reals that would need a shift above 30 are rejected.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (typeof real !== 'number' || !Number.isFinite(real) || real < 0) {
    throw new RangeError(`quantizeMultiplier: real must be a finite number >= 0, got ${String(real)}`);
  }
  if (real === 0) return { multiplier: 0, shift: 0 };
  let { mantissa, exponent } = frexp(real);
  // mantissa * 2^31 is exact (power-of-two scaling); it is positive, so Math.round's
  // half-up rounding is half away from zero.
  let q = Math.round(mantissa * TWO_POW_31);
  if (q === TWO_POW_31) {
    q = TWO_POW_30;
    exponent += 1;
  }
  if (exponent < MIN_SHIFT) return { multiplier: 0, shift: 0 };
  if (exponent > MAX_SHIFT) {
    throw new RangeError(`quantizeMultiplier: real ${real} needs shift ${exponent}, above ${MAX_SHIFT}`);
  }
  return { multiplier: q, shift: exponent };
}

/** real = mantissa * 2^exponent with mantissa in [0.5, 1), for finite real > 0. */
function frexp(real: number): { mantissa: number; exponent: number } {
  let exponent = Math.floor(Math.log2(real)) + 1;
  let mantissa = real / Math.pow(2, exponent);
  // log2 may be off by one near powers of two; the division by 2^k is exact.
  while (mantissa >= 1) {
    mantissa /= 2;
    exponent += 1;
  }
  while (mantissa < 0.5) {
    mantissa *= 2;
    exponent -= 1;
  }
  return { mantissa, exponent };
}

/**
 * SaturatingRoundingDoublingHighMul for int32 a, b: floor((a*b + 2^30) / 2^31), which is
 * what gemmlowp's nudge-and-truncate computes for both signs of a*b.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  return highMul(a, b, b >> 16, b & 0xffff);
}

/**
 * floor((a*b + 2^30) / 2^31) for int32 a, b, with b also given as bHi * 2^16 + bLo,
 * bLo in [0, 2^16). For -2^21 <= a < 2^21, the common case, |a*b| + 2^30 < 2^53 is exact in
 * float64 and one floor does; otherwise the product is split into partial products
 * that each stay below 2^53.
 */
export function highMul(a: number, b: number, bHi: number, bLo: number): number {
  if (((a + SMALL) >>> 22) === 0) return Math.floor((a * b + TWO_POW_30) / TWO_POW_31);
  const ph = a * bHi; // |ph| <= 2^46
  const pl = a * bLo; // |pl| < 2^47
  const q = Math.floor(ph / 32768);
  const r = ph - q * 32768; // ph = q * 2^15 + r, 0 <= r < 2^15
  // a*b + 2^30 = q * 2^31 + (r * 2^16 + pl + 2^30)
  return q + Math.floor((r * 65536 + pl + TWO_POW_30) / TWO_POW_31);
}

/** RoundingDivideByPOT for int32 x and 0 <= e <= 31: x / 2^e rounded half away from zero. */
export function rdbp(x: number, e: number): number {
  const mask = rdbpMask(e);
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + ((x & mask) > threshold ? 1 : 0);
}

export function rdbpMask(e: number): number {
  return e === 31 ? INT32_MAX : (1 << e) - 1;
}

/** MultiplyByQuantizedMultiplier for int32 x, multiplier and shift in [-31, 31]. */
export function mbqm(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbp(srdhm(x << left, multiplier), right);
}
