import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { SoftmaxTester } from './testers/softmax-tester.js';

describe.each(implementations)('softmax on $name', (kernels) => {
  it('channel counts, from one class to ImageNet\'s 1001', () => {
    for (const c of [1, 2, 3, 7, 8, 9, 16, 17, 67, 1001]) new SoftmaxTester().rows(3).channels(c).test(kernels);
  });

  it('input scales and betas', () => {
    for (const s of [0.01, 0.1, 0.5, 2]) for (const b of [0.5, 1, 3]) new SoftmaxTester().channels(33).inputScale(s).beta(b).test(kernels);
  });

  it('constant rows, narrow spreads, other output quantizations and clamping', () => {
    new SoftmaxTester().channels(10).inputSpread(0).test(kernels);
    new SoftmaxTester().channels(10).inputSpread(2).test(kernels);
    new SoftmaxTester().channels(100).output(1 / 128, 128).test(kernels);
    new SoftmaxTester().channels(20).clamp(3, 200).test(kernels);
  });
});
