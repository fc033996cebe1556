import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { AveragePoolTester } from './testers/average-pool-tester.js';

const channelCounts = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67];

describe.each(implementations)('averagePool on $name', (kernels) => {
  it('every channel count, SAME padding (border windows count only input taps)', () => {
    for (const c of channelCounts) new AveragePoolTester().inputSize(5, 6).channels(c).filter(3, 3).stride(2).padding('SAME').test(kernels);
  });

  it('filter sizes, strides, VALID, odd sizes, global pooling', () => {
    for (const f of [1, 2, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['SAME', 'VALID'] as const) {
          new AveragePoolTester().inputSize(7, 9).channels(5).filter(f, f).stride(stride).padding(padding).test(kernels);
        }
      }
    }
    new AveragePoolTester().inputSize(7, 7).channels(67).filter(7, 7).padding('VALID').test(kernels);
    new AveragePoolTester().inputSize(3, 11).channels(4).filter(2, 5).stride(1, 3).padding('SAME').test(kernels);
  });

  it('zero points at the extremes, negative ties, clamping', () => {
    for (const z of [0, 1, 128, 254, 255]) new AveragePoolTester().inputSize(6, 6).channels(9).filter(2, 2).zeroPoint(z).test(kernels);
    new AveragePoolTester().channels(9).clamp(100, 140).test(kernels);
    new AveragePoolTester().channels(9).clamp(128, 128).test(kernels);
  });
});
