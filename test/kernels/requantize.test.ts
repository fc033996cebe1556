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

  it('fixed-point edge cases: ties at every small shift, multipliers near 2^30 and 2^31, left shifts that saturate', () => {
    // Multiplier 2^30 and shift -e halve e + 1 times: x = (2t + 1) * 2^e lands on t + 0.5.
    for (let e = 0; e <= 8; e++) {
      for (const m of [2 ** 30, 2 ** 30 + 1, 1518500250, 2 ** 31 - 1]) {
        for (const zi of [0, 128, 255]) new RequantizeTester().multiplier(m, -e).zeroPoints(zi, 128).test(kernels);
      }
    }
    for (const shift of [-31, -20, 1, 7, 23, 30]) {
      for (const zi of [0, 255]) new RequantizeTester().multiplier(2 ** 31 - 1, shift).zeroPoints(zi, 128).test(kernels);
    }
    new RequantizeTester().multiplier(0, 0).zeroPoints(3, 200).test(kernels);
  });

  it('zero points at the extremes, clamping, sizes', () => {
    for (const zi of [0, 255]) for (const zo of [0, 255]) new RequantizeTester().scaleRatio(0.8).zeroPoints(zi, zo).test(kernels);
    new RequantizeTester().scaleRatio(0.8).clamp(10, 20).test(kernels);
    for (const n of [1, 7, 17, 1000]) new RequantizeTester().size(n).test(kernels);
  });
});
