// QNNPACK-style requantization edge cases through each implementation's kernels. With
// the input at its zero point every product is 0, so each output channel's accumulator
// is exactly its bias: one channel per (accumulator, multiplier, shift) case.

import { describe, it } from 'vitest';
import type { KernelSet, Requantization } from '../../kernels/kernel-set.js';
import { type Case, expectSameBytes, guarded } from './compare.js';
import { implementations } from './implementations.js';
import { requantizeAll } from './plain-loop.js';

interface EdgeCase { acc: number; multiplier: number; shift: number }

const MIN = -(2 ** 31);
const MAX = 2 ** 31 - 1;
const isInt32 = (x: number): boolean => x >= MIN && x <= MAX;

function edgeCases(): EdgeCase[] {
  const cases: EdgeCase[] = [];
  // Ties: with multiplier 2^30 and shift -e, acc * 2^-(e+1) is t + 0.5 exactly at
  // acc = (2t + 1) * 2^e; one above and below too, and multipliers just above 2^30 and
  // near 2^31 move the same points slightly. With e >= 1 these are also the points
  // where double rounding would differ.
  for (const e of [0, 1, 2, 5, 12, 20, 30, 31]) {
    for (const multiplier of [2 ** 30, 2 ** 30 + 1, 1518500250, MAX]) {
      for (let t = -4; t <= 3; t++) {
        for (const d of [-1, 0, 1]) {
          const acc = (2 * t + 1) * 2 ** e + d;
          if (isInt32(acc)) cases.push({ acc, multiplier, shift: -e });
        }
      }
    }
  }
  // Saturation and the extremes of int32.
  for (const acc of [MIN, MIN + 1, MAX - 1, MAX]) {
    for (const multiplier of [2 ** 30, MAX]) for (const shift of [0, -1, -30, -31]) cases.push({ acc, multiplier, shift });
  }
  // Multiplier 0.
  for (const acc of [MIN, -1000, 0, 1000, MAX]) for (const shift of [-31, 0, 30]) cases.push({ acc, multiplier: 0, shift });
  // Left shifts, including ones whose product leaves int32 and saturates.
  for (let shift = 1; shift <= 30; shift++) {
    for (const acc of [-3, -1, 0, 1, 3, 2 ** 29 + 1, -(2 ** 29) - 1, 2 ** (31 - shift) + 1, -(2 ** (31 - shift)) - 1]) {
      cases.push({ acc, multiplier: 2 ** 30, shift });
    }
  }
  return cases;
}

function requantFor(cases: EdgeCase[]): Requantization {
  return {
    multiplier: Int32Array.from(cases, (c) => c.multiplier),
    shift: Int32Array.from(cases, (c) => c.shift),
    outputZeroPoint: 128, min: 0, max: 255,
  };
}

function check(kernels: KernelSet, op: string, run: (n: number, bias: Int32Array, requant: Requantization, out: Uint8Array) => void): void {
  const cases = edgeCases();
  const bias = Int32Array.from(cases, (c) => c.acc);
  const requant = requantFor(cases);
  const expected = requantizeAll(bias, requant, cases.length);
  const out = guarded(cases.length);
  run(cases.length, bias, requant, out);
  const c: Case = { implementation: kernels.name, op, seed: 0, settings: { cases: 'requantization edges' } };
  expectSameBytes(c, out, expected, (i) => `[${i}] for ${JSON.stringify(cases[i])}`);
}

const zx = 77;
const common = (n: number, bias: Int32Array, requant: Requantization) => ({
  inputZeroPoint: zx, weightZeroPoint: new Int32Array(n).fill(3), bias, requant,
});

describe.each(implementations)('requantization edge cases on $name', (kernels) => {
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
