// The reference's fixed-point functions (kernels/ref/requantize.ts) against BigInt, on
// QNNPACK-style edge cases and on random int32 values. These functions are the ref's
// own (the planner calls quantizeMultiplier); every KernelSet's use of them is covered
// by requantization-edges.test.ts.

import { describe, expect, it } from 'vitest';
import { mbqm, quantizeMultiplier, rdbp, srdhm } from '../../kernels/ref/requantize.js';
import * as plain from './plain-loop.js';
import { caseSeed, Rng } from './rng.js';

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

describe('srdhm', () => {
  it('INT32_MIN * INT32_MIN saturates to INT32_MAX', () => {
    expect(srdhm(MIN, MIN)).toBe(MAX);
  });

  it('ties round toward +infinity on both signs (gemmlowp\'s nudge then truncation)', () => {
    // a * 2^30 / 2^31 = a / 2
    expect([1, 3, 5, -1, -3, -5].map((a) => srdhm(a, 2 ** 30))).toEqual([1, 2, 3, 0, -1, -2]);
  });

  it('is exact when the product sits one off a rounding boundary, at every magnitude', () => {
    // a * b + 2^30 = k * 2^31 + r with r in {-1, 0, 1}: b = (r - 2^30) / a mod 2^31 for odd a.
    // Magnitudes of a on both sides of 2^21 cover the single-product and the split path.
    const rng = new Rng(caseSeed('srdhm boundaries'));
    const m31 = 2n ** 31n;
    for (let bits = 10; bits <= 31; bits++) {
      for (let i = 0; i < 40; i++) {
        const magnitude = Math.min(2 ** (bits - 1) + rng.int(0, 2 ** (bits - 1)), MAX) | 1;
        const a = i % 2 === 0 ? magnitude : -magnitude;
        const r = BigInt(rng.int(-1, 1));
        const b = Number((((r - 2n ** 30n) * modInverse(BigInt(a), m31)) % m31 + m31) % m31);
        if (srdhm(a, b) !== plain.srdhm(a, b)) expect.fail(`srdhm(${a}, ${b}) = ${srdhm(a, b)}, BigInt gives ${plain.srdhm(a, b)}`);
      }
    }
  });

  it('matches BigInt on every pair of edge values and on random values', () => {
    for (const a of edges) for (const b of edges) expect(srdhm(a, b), `srdhm(${a}, ${b})`).toBe(plain.srdhm(a, b));
    const rng = new Rng(caseSeed('srdhm'));
    for (let i = 0; i < 20000; i++) {
      const a = randomInt32(rng), b = randomInt32(rng);
      if (srdhm(a, b) !== plain.srdhm(a, b)) expect.fail(`srdhm(${a}, ${b}) = ${srdhm(a, b)}, BigInt gives ${plain.srdhm(a, b)} (seed ${rng.seed})`);
    }
  });
});

describe('rdbp', () => {
  it('rounds ties away from zero', () => {
    expect([5, 7, -5, -7, 6, -6].map((x) => rdbp(x, 1))).toEqual([3, 4, -3, -4, 3, -3]);
    expect([2, -2, 6, -6].map((x) => rdbp(x, 2))).toEqual([1, -1, 2, -2]);
  });

  it('exponents 0 and 31', () => {
    for (const x of edges) expect(rdbp(x, 0)).toBe(x);
    expect([MIN, MIN + 1, -(2 ** 30), -(2 ** 30) + 1, 2 ** 30 - 1, 2 ** 30, MAX].map((x) => rdbp(x, 31))).toEqual([-1, -1, -1, 0, 0, 1, 1]);
  });

  it('matches BigInt for every exponent on edge values, ties and random values', () => {
    const rng = new Rng(caseSeed('rdbp'));
    for (let e = 0; e <= 31; e++) {
      const ties = e === 0 ? [] : [1, 3, -1, -3, 101, -101].map((k) => k * 2 ** (e - 1)).filter((x) => x >= MIN && x <= MAX);
      const values = [...edges, ...ties, ...ties.map((t) => t + 1), ...ties.map((t) => t - 1)];
      for (let i = 0; i < 500; i++) values.push(randomInt32(rng));
      for (const x of values) if (rdbp(x, e) !== plain.rdbp(x, e)) expect.fail(`rdbp(${x}, ${e}) = ${rdbp(x, e)}, BigInt gives ${plain.rdbp(x, e)}`);
    }
  });
});

describe('mbqm', () => {
  it('multiplier 0 gives 0', () => {
    for (const x of edges) for (const s of [-31, 0, 30]) expect(mbqm(x, 0, s)).toBe(0);
  });

  it('left shifts wrap to int32 before the multiplication', () => {
    // (2^29 + 1) << 3 wraps to 8; 8 * 0.5 = 4
    expect(mbqm(2 ** 29 + 1, 2 ** 30, 3)).toBe(4);
    expect(mbqm(1, 2 ** 30, 31)).toBe(plain.mbqm(1, 2 ** 30, 31));
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
