// The reference's fixed-point functions (kernels/ref/requantize.ts) against BigInt, on
// QNNPACK-style edge cases and on random int32 values. These functions are the ref's
// own (the planner calls quantizeMultiplier); every KernelSet's fixed-point output stage
// is covered through mean and requantize (requantize.test.ts has the edge cases).

import { describe, expect, it } from 'vitest';
import { mbqm, quantizeMultiplier } from '../../kernels/ref/requantize.js';
import * as plain from './plain-loop.js';
import { caseSeed, Rng } from '../support/rng.js';

const MIN = -(2 ** 31);
const MAX = 2 ** 31 - 1;
const edges = [MIN, MIN + 1, -(2 ** 30) - 1, -(2 ** 30), -65537, -65536, -3, -2, -1, 0, 1, 2, 3, 65535, 65536, 2 ** 30, 2 ** 30 + 1, MAX - 1, MAX];

/** x^-1 mod m for odd x and m a power of two. */
function modInverse(x: bigint, m: bigint): bigint {
  let [r0, r1] = [((x % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

function randomInt32(rng: Rng): number {
  // Mix magnitudes: uniform int32 values are almost all huge.
  return (rng.u32() >> rng.int(0, 31)) | 0;
}

describe('mbqm', () => {
  it('rounds once, ties toward +infinity on both signs', () => {
    // multiplier 2^30, shift 0: x / 2
    expect([1, 3, 5, -1, -3, -5].map((x) => mbqm(x, 2 ** 30, 0))).toEqual([1, 2, 3, 0, -1, -2]);
    // shift -1: x / 4
    expect([2, 6, -2, -6, 5, -5].map((x) => mbqm(x, 2 ** 30, -1))).toEqual([1, 2, 0, -1, 1, -1]);
  });

  it('differs from double rounding where the first rounding would make a tie', () => {
    // 13 / 4 = 3.25; double rounding goes 6.5 -> 7, then 3.5 -> 4.
    expect(mbqm(13, 2 ** 30, -1)).toBe(3);
    expect(mbqm(-13, 2 ** 30, -1)).toBe(-3);
  });

  it('multiplier 0 gives 0', () => {
    for (const x of edges) for (const s of [-31, 0, 30]) expect(mbqm(x, 0, s)).toBe(0);
  });

  it('shift -31 (a 62-bit shift), shift 0 and left shifts up to 30, saturating', () => {
    expect(mbqm(MIN, MAX, -31)).toBe(-1);
    expect(mbqm(MAX, MAX, -31)).toBe(1);
    expect(mbqm(2 ** 30, 2 ** 30, -31)).toBe(0); // exactly 2^-2
    expect(mbqm(MIN, 2 ** 30, 0)).toBe(-(2 ** 30));
    expect(mbqm(MAX, MAX, 0)).toBe(MAX - 1);
    expect(mbqm(3, 2 ** 30, 4)).toBe(24);
    expect(mbqm(MAX, MAX, 30)).toBe(MAX);
    expect(mbqm(MIN, MAX, 1)).toBe(MIN);
    expect(mbqm(2 ** 29 + 1, 2 ** 30, 3)).toBe(MAX);
  });

  it('is exact when the product sits one off a rounding boundary, at every magnitude and shift', () => {
    // x * m + 2^(t-1) = k * 2^t + r with r in {-1, 0, 1}, t = 31 - shift. For t <= 31,
    // m = (r - 2^(t-1)) / x mod 2^t for odd x of any magnitude (both sides of 2^21, where
    // the reference changes method); for larger t, x = (r - 2^(t-1)) / m mod 2^t, kept
    // when it fits int32.
    const rng = new Rng(caseSeed('mbqm boundaries'));
    for (let t = 1; t <= 40; t++) {
      const mod = 2n ** BigInt(t);
      for (let i = 0; i < 60; i++) {
        const r = BigInt(rng.int(-1, 1));
        const target = r - 2n ** BigInt(t - 1);
        let x: number, m: number;
        if (t <= 31) {
          // Half the cases just around 2^21..2^24, where products start to exceed 2^53.
          const bits = i % 4 < 2 ? rng.int(1, 31) : rng.int(21, 25);
          x = (Math.min(2 ** (bits - 1) + rng.int(0, 2 ** (bits - 1)), MAX) | 1) * (i % 2 === 0 ? 1 : -1);
          m = Number((((target * modInverse(BigInt(x), mod)) % mod) + mod) % mod);
        } else {
          m = rng.int(2 ** 30, MAX) | 1;
          const candidate = (((target * modInverse(BigInt(m), mod)) % mod) + mod) % mod;
          const signed = candidate >= mod / 2n ? candidate - mod : candidate;
          if (signed < BigInt(MIN) || signed > BigInt(MAX)) continue;
          x = Number(signed);
        }
        const shift = 31 - t;
        if (mbqm(x, m, shift) !== plain.mbqm(x, m, shift)) {
          expect.fail(`mbqm(${x}, ${m}, ${shift}) = ${mbqm(x, m, shift)}, BigInt gives ${plain.mbqm(x, m, shift)}`);
        }
      }
    }
  });

  it('matches BigInt over multipliers, shifts -31..30 and values', () => {
    const rng = new Rng(caseSeed('mbqm'));
    const multipliers = [0, 1, 2 ** 30, 2 ** 30 + 1, MAX - 1, MAX];
    for (let i = 0; i < 20; i++) multipliers.push(rng.int(2 ** 30, MAX));
    for (let shift = -31; shift <= 30; shift++) {
      for (const m of multipliers) {
        const values = [...edges];
        for (let i = 0; i < 30; i++) values.push(randomInt32(rng));
        for (const x of values) {
          if (mbqm(x, m, shift) !== plain.mbqm(x, m, shift)) expect.fail(`mbqm(${x}, ${m}, ${shift}) = ${mbqm(x, m, shift)}, BigInt gives ${plain.mbqm(x, m, shift)}`);
        }
      }
    }
  });
});

describe('quantizeMultiplier', () => {
  it('0 gives 0/0', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('exact powers of two give 2^30 and the exponent + 1', () => {
    for (let k = -32; k <= 29; k++) expect(quantizeMultiplier(2 ** k), `2^${k}`).toEqual({ multiplier: 2 ** 30, shift: k + 1 });
  });

  it('renormalises when the mantissa rounds up to 2^31', () => {
    expect(quantizeMultiplier(1 - 2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(1 - 2 ** -31)).toEqual({ multiplier: MAX, shift: 0 });
    expect(quantizeMultiplier(0.75 * (1 - 2 ** -33))).toEqual({ multiplier: 0.75 * 2 ** 31, shift: 0 });
  });

  it('tiny reals: shift -31 is the last one kept, including by renormalisation', () => {
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    // Mantissa 1 - 2^-34, exponent -32: rounds to 2^31, renormalises to shift -31.
    expect(quantizeMultiplier((1 - 2 ** -34) * 2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier((1 - 2 ** -34) * 2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    for (const r of [1e-12, 1e-300, Number.MIN_VALUE]) expect(quantizeMultiplier(r)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('huge reals: shift 30 is accepted, anything needing more is a RangeError', () => {
    expect(quantizeMultiplier(2 ** 29)).toEqual({ multiplier: 2 ** 30, shift: 30 });
    expect(quantizeMultiplier(2 ** 30 - 1)).toEqual({ multiplier: MAX - 1, shift: 30 });
    expect(() => quantizeMultiplier(2 ** 30)).toThrow(RangeError);
    expect(() => quantizeMultiplier(2 ** 30 - 2 ** -3)).toThrow(/shift 31/);
    expect(() => quantizeMultiplier(1e300)).toThrow(RangeError);
  });

  it('rejects negative, NaN and infinite reals', () => {
    for (const r of [-1e-9, -1, NaN, Infinity, -Infinity]) expect(() => quantizeMultiplier(r)).toThrow(RangeError);
  });

  it('matches an independent implementation on random reals and around powers of two', () => {
    const rng = new Rng(caseSeed('quantizeMultiplier'));
    const reals: number[] = [];
    for (let i = 0; i < 5000; i++) reals.push(rng.logUniform(1e-12, 1e8));
    for (let k = -40; k < 29; k++) for (const f of [1 - 2 ** -52, 1 + 2 ** -52, 1 - 2 ** -33, 1 + 2 ** -31, 1.5]) reals.push(2 ** k * f);
    for (const r of reals) {
      const expected = plain.quantizeMultiplier(r);
      expect(quantizeMultiplier(r), `quantizeMultiplier(${r})`).toEqual(expected);
      // Half away from zero: the stored value is within half a unit of the real mantissa.
      if (expected.multiplier !== 0) expect(Math.abs(expected.multiplier * 2 ** (expected.shift - 31) - r)).toBeLessThanOrEqual(2 ** (expected.shift - 32));
    }
  });
});
