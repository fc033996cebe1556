// Edge cases of the fp32 output stage (ARITHMETIC.md) through each implementation's conv,
// depthwise and gemm. With the input at its zero point every product is 0, so each
// output channel's accumulator is exactly its bias: one channel per (accumulator, scale)
// case, under several output zero points and clamp ranges.

import { describe, expect, it } from 'vitest';
import type { KernelSet, ScaleRequantization } from '../../kernels/kernel-set.js';
import { type Case, expectSameBytes, guarded } from './compare.js';
import { implementations } from './implementations.js';
import { f32, requantizeAll } from './plain-loop.js';
import { caseSeed, Rng } from '../support/rng.js';

interface EdgeCase { acc: number; scale: number }

const MIN = -(2 ** 31);
const MAX = 2 ** 31 - 1;
const isInt32 = (x: number): boolean => x >= MIN && x <= MAX;
/** The largest float32 below 256, XNNPACK's bound. */
const LARGEST = 256 * (1 - 2 ** -24);

function edgeCases(): EdgeCase[] {
  const cases: EdgeCase[] = [];
  const push = (acc: number, scale: number): void => {
    if (isInt32(acc)) cases.push({ acc, scale });
  };
  // Exact ties k + 0.5 of both parities and signs, and their neighbours: power-of-two
  // scales, where acc = (2t + 1) * 2^(k-1) lands on t + 0.5, and scales whose odd
  // multiples do (1.5, 0.75, 2.5).
  for (const k of [1, 2, 3, 10, 20, 31]) {
    for (let t = -6; t <= 5; t++) for (const d of [-1, 0, 1]) push((2 * t + 1) * 2 ** (k - 1) + d, 2 ** -k);
  }
  for (const scale of [1.5, 0.75, 2.5]) for (let acc = -9; acc <= 9; acc++) push(acc, scale);
  // |acc| >= 2^24, where f32(acc) rounds (ties to even) and moves the product onto or off
  // a tie: with scale 2^-j, acc near q * 2^(j-1) for odd q gives q / 2.
  for (const j of [24, 25, 28, 31]) {
    for (const q of [1, 3, 5, 7, 101, 255]) {
      const base = q * 2 ** (j - 1);
      if (base < 2 ** 24) continue;
      const ulp = 2 ** (Math.floor(Math.log2(base)) - 23);
      for (const d of [-ulp, -ulp / 2 - 1, -ulp / 2, -ulp / 2 + 1, -1, 0, 1, ulp / 2 - 1, ulp / 2, ulp / 2 + 1, ulp]) {
        push(base + d, 2 ** -j);
        push(-base - d, 2 ** -j);
      }
    }
  }
  // Near-ties found by search: acc * scale within half a float32 ulp of k + 0.5, so that
  // the product's rounding to float32 makes it a tie that float64 alone would not; and,
  // for |acc| >= 2^24, f32(acc) * scale a tie where acc * scale is not, which a
  // power-of-two scale (above) cannot tell apart.
  const rng = new Rng(caseSeed('fp32 near-ties'));
  const search = (count: number, accLo: number, accHi: number, tie: (acc: number, scale: number, k: number) => boolean): void => {
    for (let found = 0; found < count;) {
      const acc = rng.int(accLo, accHi);
      const k = rng.int(0, 126);
      const scale = f32((k + 0.5) / f32(acc));
      if (!tie(acc, scale, k)) continue;
      push(acc, scale);
      push(-acc, scale);
      found++;
    }
  };
  search(32, 2 ** 20, 2 ** 24 - 1, (acc, scale, k) => acc * scale !== k + 0.5 && f32(acc * scale) === k + 0.5);
  search(32, 2 ** 24, MAX, (acc, scale, k) => f32(f32(acc) * scale) === k + 0.5 && f32(acc * scale) !== k + 0.5);
  // Far outside [min - zo, max - zo]: clamping comes before any conversion to integer.
  for (const acc of [MIN, MIN + 1, -(2 ** 30), -1000, 1000, 2 ** 30, MAX - 1, MAX]) {
    for (const scale of [LARGEST, 255, 1, 0.5]) push(acc, scale);
  }
  // Scales at the bounds: subnormal, smallest normal, around 2^-32 (where the extreme
  // accumulators give exactly +-0.5), 2^-31, and the largest accepted.
  for (const scale of [2 ** -149, 2 ** -126, 2 ** -33, 2 ** -32, 2 ** -31, LARGEST]) {
    for (const acc of [MIN, MIN + 1, -1, 0, 1, MAX - 1, MAX]) push(acc, scale);
  }
  return cases;
}

function requantFor(cases: EdgeCase[], zo: number, min: number, max: number): ScaleRequantization {
  return { scale: Float32Array.from(cases, (c) => c.scale), outputZeroPoint: zo, min, max };
}

/** Output zero point, min and max: full range at mid, low and high zero points, and a narrow clamp. */
const outputs = [[128, 0, 255], [0, 0, 255], [255, 0, 255], [100, 90, 110]] as const;

function check(kernels: KernelSet, op: string, run: (n: number, bias: Int32Array, requant: ScaleRequantization, out: Uint8Array) => void): void {
  const cases = edgeCases();
  // The cases must really be float32 scales, or the kernels would see others.
  for (const c of cases) if (f32(c.scale) !== c.scale) throw new Error(`edge case scale ${c.scale} is not a float32`);
  const bias = Int32Array.from(cases, (c) => c.acc);
  for (const [zo, min, max] of outputs) {
    const requant = requantFor(cases, zo, min, max);
    const expected = requantizeAll(bias, requant, cases.length);
    const out = guarded(cases.length);
    run(cases.length, bias, requant, out);
    const c: Case = { implementation: kernels.name, op, seed: 0, settings: { cases: 'fp32 requantization edges', zo, min, max } };
    expectSameBytes(c, out, expected, (i) => `[${i}] for ${JSON.stringify(cases[i])}`);
  }
}

describe('fp32 requantization edge cases', () => {
  it('include cases where each float32 rounding, and rounding ties to even, decides the output', () => {
    const cases = edgeCases();
    const r = requantFor(cases, 128, 0, 255);
    const expected = requantizeAll(Int32Array.from(cases, (c) => c.acc), r, cases.length);
    const differ = (value: (c: EdgeCase) => number): number => cases.filter((c, i) => value(c) !== expected[i]).length;
    const clampU8 = (v: number): number => Math.min(255, Math.max(0, v));
    const halfEven = (v: number): number => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
    expect(differ((c) => clampU8(128 + halfEven(f32(c.acc * c.scale))))).toBeGreaterThan(0); // f32(acc) skipped
    expect(differ((c) => clampU8(128 + halfEven(f32(c.acc) * c.scale)))).toBeGreaterThan(0); // product not rounded
    expect(differ((c) => clampU8(128 + Math.round(f32(f32(c.acc) * c.scale))))).toBeGreaterThan(0); // ties up
  });
});

const zx = 77;
const common = (n: number, bias: Int32Array, requant: ScaleRequantization) => ({
  inputZeroPoint: zx, weightZeroPoint: new Int32Array(n).fill(3), bias, requant,
});

describe.each(implementations)('fp32 requantization edge cases on $name', (kernels) => {
  it('through gemm', () => {
    check(kernels, 'gemm', (n, bias, requant, out) => {
      kernels.gemm({ rows: 1, inputC: 1, outputC: n, ...common(n, bias, requant) }, new Uint8Array(n).fill(200))
        .run(Uint8Array.of(zx), out);
    });
  });

  it('through conv', () => {
    check(kernels, 'conv', (n, bias, requant, out) => {
      kernels.conv({
        inputH: 1, inputW: 1, inputC: 1, outputH: 1, outputW: 1, outputC: n, kernelH: 1, kernelW: 1,
        strideH: 1, strideW: 1, padTop: 0, padLeft: 0, ...common(n, bias, requant),
      }, new Uint8Array(n).fill(9)).run(Uint8Array.of(zx), out);
    });
  });

  it('through depthwise, on the 3x3 path', () => {
    check(kernels, 'depthwise', (n, bias, requant, out) => {
      kernels.depthwise({
        inputH: 3, inputW: 3, inputC: n, outputH: 1, outputW: 1, outputC: n, kernelH: 3, kernelW: 3,
        strideH: 1, strideW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1, ...common(n, bias, requant),
      }, new Uint8Array(9 * n).fill(250)).run(new Uint8Array(9 * n).fill(zx), out);
    });
  });
});
