// TFLite's fixed-point requantization, single rounding (ARITHMETIC.md), bit exact. The
// 62-bit product is exact in float64 for small values, and is otherwise formed from
// partial products that each are, so no BigInt is needed.

const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** roundedProduct's single-product range is [-SMALL, SMALL). */
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
 * MultiplyByQuantizedMultiplier, single rounding: saturate32(round(x * multiplier /
 * 2^(31 - shift))) with ties toward +infinity, for int32 x, multiplier in [0, 2^31) and
 * shift in [-31, 30].
 */
export function mbqm(x: number, multiplier: number, shift: number): number {
  const y = roundedProduct(x, multiplier, 31 - shift);
  return y > INT32_MAX ? INT32_MAX : y < INT32_MIN ? INT32_MIN : y;
}

/**
 * floor((x * m + 2^(t-1)) / 2^t), exact and unsaturated, for int32 x, |m| <= 2^31 and
 * 1 <= t <= 62. For -2^21 <= x < 2^21, the common case, |x * m| <= 2^52: the product is
 * exact in float64, the sum too for t <= 53, and for larger t its rounding cannot carry
 * it across a multiple of 2^t.
 */
function roundedProduct(x: number, m: number, t: number): number {
  if (((x + SMALL) >>> 22) === 0) return Math.floor((x * m + Math.pow(2, t - 1)) * Math.pow(2, -t));
  return roundedProductWide(x, m, t);
}

/** roundedProduct for any int32 x: the 62-bit product as exact float64 pieces. */
function roundedProductWide(x: number, m: number, t: number): number {
  const ph = x * (m >> 16); // |ph| <= 2^46
  const pl = x * (m & 0xffff); // |pl| < 2^47
  const q = Math.floor(ph / 32768);
  const wide = (ph - q * 32768) * 65536 + pl; // x * m = q * 2^31 + wide, |wide| < 2^48
  const carry = Math.floor(wide / TWO_POW_31);
  const high = q + carry; // x * m = high * 2^31 + low, 0 <= low < 2^31
  const low = wide - carry * TWO_POW_31;
  if (t > 31) {
    // low / 2^31 < 1 cannot move floor((high + 2^(t-32)) / 2^(t-31)).
    return Math.floor((high + Math.pow(2, t - 32)) / Math.pow(2, t - 31));
  }
  // |high * 2^(31-t)| beyond 2^53 only happens where the result saturates anyway.
  return high * Math.pow(2, 31 - t) + Math.floor((low + Math.pow(2, t - 1)) / Math.pow(2, t));
}
