import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { AddTester } from './testers/add-tester.js';

describe.each(implementations)('add on $name', (kernels) => {
  it('sizes below, at and above vector widths', () => {
    for (const n of [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67, 1000]) new AddTester().size(n).test(kernels);
  });

  it('differing scales: A larger, B larger, equal, far apart', () => {
    for (const [a, b, o] of [[0.05, 0.02, 0.07], [0.01, 0.2, 0.1], [0.03, 0.03, 0.03], [1e-4, 0.5, 0.5], [0.8, 0.002, 0.01]]) {
      new AddTester().size(200).scales(a, b, o).test(kernels);
    }
  });

  it('every input pair, for scales from the load step', () => {
    for (const [a, b, o] of [[0.05, 0.02, 0.07], [0.0235, 0.0235, 0.0471], [0.3, 0.004, 0.11]]) {
      new AddTester().scales(a, b, o).allPairs().test(kernels);
    }
  });

  it('ratios at the ends of [2^-10, 2^8), and a multiplier that rounds up to 2^21', () => {
    new AddTester().scales(2 ** -10, 2 ** -10, 1).zeroPoints(0, 255, 128).allPairs().test(kernels); // shift 30
    new AddTester().scales(256 * (1 - 2 ** -24), 2 ** -10, 1).zeroPoints(128, 128, 128).allPairs().test(kernels); // shift 13, 2^21
    new AddTester().scales(2 - 2 ** -23, 0.7, 1).allPairs().test(kernels); // shift 20, 2^21
  });

  it('ties at the shift boundary on both signs: (acc + 2^(shift-1)) >> shift rounds them up', () => {
    // acc / 2^shift = (a - za) * (2^(21-shift) - 1/2) + 3/2 * (b - zb): k + 0.5 whenever
    // (a - za) + (b - zb) is odd.
    for (const shift of [13, 20]) {
      new AddTester().multipliers(2 ** 21 - 2 ** (shift - 1), 3 * 2 ** (shift - 1), shift).zeroPoints(128, 131, 128).allPairs().test(kernels);
    }
    // acc / 2^30 = ((a - za) + (b - zb)) / 2^9: +-0.5 where the centred inputs sum to +-256.
    for (const z of [0, 255]) new AddTester().multipliers(2 ** 21, 2 ** 21, 30).zeroPoints(z, z, 128).allPairs().test(kernels);
  });

  it('the largest multipliers, where the accumulator comes nearest int32\'s limits', () => {
    for (const shift of [13, 30]) {
      for (const [za, zb] of [[0, 0], [255, 255], [0, 255]]) {
        new AddTester().multipliers(2 ** 21, 2 ** 21, shift).zeroPoints(za, zb, 128).allPairs().test(kernels);
      }
      new AddTester().multipliers(2 ** 21, 0, shift).zeroPoints(255, 0, 255).allPairs().test(kernels);
    }
  });

  it('zero points at the extremes and clamping', () => {
    for (const za of [0, 255]) for (const zb of [0, 255]) for (const zo of [0, 255]) new AddTester().zeroPoints(za, zb, zo).test(kernels);
    new AddTester().relu().test(kernels);
    new AddTester().clamp(60, 70).test(kernels);
  });
});
