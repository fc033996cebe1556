import { describe, it } from 'vitest';
import { Rng, caseSeed } from '../support/rng.js';
import { implementations } from './implementations.js';
import { MulTester } from './testers/mul-tester.js';

describe.each(implementations)('mul on $name', (kernels) => {
  it('squeeze-and-excite: H x W x C by 1 x 1 x C, channels below, at and above vector widths, either operand first', () => {
    for (const c of [1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 72, 120, 960]) {
      new MulTester().shapes([1, 3, 5, c], [1, 1, 1, c]).test(kernels);
      new MulTester().shapes([1, 1, 1, c], [1, 2, 3, c]).test(kernels);
    }
  });

  it('every input pair, at several scales', () => {
    for (const [a, b, o] of [[0.05, 0.02, 0.001], [0.3, 0.004, 0.01], [0.1, 0.1, 0.5], [2 ** -8, 2 ** -8, 2 ** -16]]) {
      new MulTester().allPairs().scales(a, b, o).test(kernels);
    }
  });

  it('random broadcast shapes of rank 1 to 4', () => {
    const rng = new Rng(caseSeed('mul random shapes'));
    for (let i = 0; i < 40; i++) {
      const rank = rng.int(1, 4);
      const full = Array.from({ length: rank }, () => rng.int(1, 9));
      const a = full.map((d) => (rng.int(0, 2) === 0 ? 1 : d));
      const b = full.map((d) => (rng.int(0, 2) === 0 ? 1 : d)).slice(rng.int(0, rank - 1));
      new MulTester().shapes(a, b).test(kernels);
    }
    new MulTester().shapes([5, 1, 7], [1, 6, 1]).test(kernels);
    new MulTester().shapes([17], [17]).test(kernels);
    new MulTester().shapes([1], [1]).test(kernels);
  });

  it('zero points at the extremes and clamping', () => {
    for (const za of [0, 255]) for (const zb of [0, 255]) for (const zo of [0, 255]) new MulTester().zeroPoints(za, zb, zo).test(kernels);
    new MulTester().clamp(60, 70).test(kernels);
    new MulTester().zeroPoints(0, 0, 128).scales(1, 1, 2 ** -7).test(kernels); // scale 128: products far beyond the output range
  });
});
