import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { RequantizeTester } from './testers/requantize-tester.js';

describe.each(implementations)('requantize on $name', (kernels) => {
  it('every input value, ratios below and above one', () => {
    for (const r of [1e-3, 0.1, 0.37, 0.5, 1, 1.5, 2, 100]) new RequantizeTester().scaleRatio(r).test(kernels);
  });

  it('ties: a ratio of 0.5 and odd inputs land exactly on .5', () => {
    new RequantizeTester().scaleRatio(0.5).zeroPoints(128, 128).test(kernels);
    new RequantizeTester().scaleRatio(0.25).zeroPoints(0, 0).test(kernels);
  });

  it('zero points at the extremes, clamping, sizes', () => {
    for (const zi of [0, 255]) for (const zo of [0, 255]) new RequantizeTester().scaleRatio(0.8).zeroPoints(zi, zo).test(kernels);
    new RequantizeTester().scaleRatio(0.8).clamp(10, 20).test(kernels);
    for (const n of [1, 7, 17, 1000]) new RequantizeTester().size(n).test(kernels);
  });
});
