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

  it('zero points at the extremes and clamping', () => {
    for (const za of [0, 255]) for (const zb of [0, 255]) for (const zo of [0, 255]) new AddTester().zeroPoints(za, zb, zo).test(kernels);
    new AddTester().relu().test(kernels);
    new AddTester().clamp(60, 70).test(kernels);
  });
});
