import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { ConvTester } from './testers/conv-tester.js';

const channelCounts = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67];

describe.each(implementations)('conv on $name', (kernels) => {
  it('MobileNet first layer: 3x3 stride 2 SAME over 3 channels', () => {
    new ConvTester().inputSize(15, 15).inputChannels(3).outputChannels(32).kernel(3, 3).stride(2).padding('SAME').relu6().test(kernels);
    new ConvTester().inputSize(16, 16).inputChannels(3).outputChannels(16).kernel(3, 3).stride(2).padding('SAME').test(kernels);
  });

  it('small values, where an accumulator off by one changes the output', () => {
    for (const n of channelCounts) {
      new ConvTester().inputSize(6, 5).inputChannels(3).outputChannels(n).stride(2).values('small').test(kernels);
      new ConvTester().inputSize(5, 5).inputChannels(n).outputChannels(4).kernel(5, 5).values('small').scales('channel').test(kernels);
    }
  });

  it('every output channel count', () => {
    for (const n of channelCounts) new ConvTester().inputSize(5, 6).inputChannels(3).outputChannels(n).stride(2).test(kernels);
  });

  it('every input channel count', () => {
    for (const c of channelCounts) new ConvTester().inputSize(5, 4).inputChannels(c).outputChannels(5).test(kernels);
  });

  it('kernel sizes 1, 3 and 5, strides 1 and 2, SAME and VALID, odd sizes', () => {
    for (const k of [1, 3, 5]) {
      for (const stride of [1, 2]) {
        for (const padding of ['SAME', 'VALID'] as const) {
          new ConvTester().inputSize(7, 9).inputChannels(4).outputChannels(9).kernel(k, k).stride(stride).padding(padding).test(kernels);
        }
      }
    }
    new ConvTester().inputSize(1, 1).inputChannels(2).outputChannels(3).kernel(3, 3).test(kernels);
    new ConvTester().inputSize(2, 7).inputChannels(2).outputChannels(3).kernel(5, 3).stride(2, 1).test(kernels);
    new ConvTester().inputSize(5, 5).inputChannels(2).outputChannels(5)
      .padding({ top: 6, left: 0, outputH: 4, outputW: 3 }).test(kernels);
  });

  it('zero points at the extremes', () => {
    for (const zx of [0, 255]) {
      for (const zw of [0, 255]) {
        for (const zo of [0, 255]) {
          new ConvTester().inputChannels(3).outputChannels(9).inputZeroPoint(zx).weightZeroPoint(zw).outputZeroPoint(zo).test(kernels);
        }
      }
    }
    new ConvTester().inputChannels(5).outputChannels(9).weightZeroPoint('perChannel').test(kernels);
  });

  it('per-channel scales, clamping and biases', () => {
    new ConvTester().outputChannels(17).scales('channel').test(kernels);
    new ConvTester().outputChannels(33).scales('decades').weightZeroPoint(128).test(kernels);
    new ConvTester().outputChannels(16).relu().test(kernels);
    new ConvTester().outputChannels(16).relu6().test(kernels);
    new ConvTester().outputChannels(16).clamp(30, 40).test(kernels);
    for (const bias of ['zero', 'large', 'extreme'] as const) new ConvTester().outputChannels(7).bias(bias).test(kernels);
  });
});
