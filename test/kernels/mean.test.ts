import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { MeanTester } from './testers/mean-tester.js';

const channelCounts = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67];

describe.each(implementations)('mean on $name', (kernels) => {
  it('every channel count over 7x7', () => {
    for (const c of channelCounts) new MeanTester().inputSize(7, 7).channels(c).test(kernels);
  });

  it('MobileNet head: 7x7x1024, and odd sizes', () => {
    new MeanTester().inputSize(7, 7).channels(1024).scaleRatio(1.1).test(kernels);
    for (const [h, w] of [[1, 1], [1, 9], [5, 3], [13, 11], [112, 112]]) new MeanTester().inputSize(h, w).channels(3).test(kernels);
  });

  it('scale ratios, zero points at the extremes, clamping', () => {
    for (const r of [0.01, 0.5, 1, 3, 40]) new MeanTester().channels(16).scaleRatio(r).test(kernels);
    for (const zi of [0, 255]) for (const zo of [0, 255]) new MeanTester().channels(9).inputZeroPoint(zi).outputZeroPoint(zo).test(kernels);
    new MeanTester().channels(9).clamp(120, 130).test(kernels);
  });
});
