import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { DepthwiseTester } from './testers/depthwise-tester.js';

const channelCounts = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67];

describe.each(implementations)('depthwise on $name', (kernels) => {
  it('3x3, every channel count, strides 1 and 2, SAME and VALID', () => {
    for (const c of channelCounts) {
      for (const stride of [1, 2]) {
        for (const padding of ['SAME', 'VALID'] as const) {
          new DepthwiseTester().inputSize(7, 9).channels(c).kernel(3, 3).stride(stride).padding(padding).test(kernels);
        }
      }
    }
  });

  it('small values, where an accumulator off by one changes the output', () => {
    for (const c of channelCounts) {
      for (const k of [3, 5]) {
        new DepthwiseTester().inputSize(7, 8).channels(c).kernel(k, k).stride(1 + (c % 2)).values('small').test(kernels);
      }
      new DepthwiseTester().inputSize(6, 7).channels(c).depthMultiplier(2).values('small').scales('channel').test(kernels);
    }
  });

  it('odd and tiny spatial sizes, including inputs narrower than the kernel', () => {
    for (const [h, w] of [[1, 1], [1, 5], [2, 2], [3, 3], [4, 11], [11, 4], [13, 13]]) {
      for (const stride of [1, 2]) {
        new DepthwiseTester().inputSize(h, w).channels(5).kernel(3, 3).stride(stride).padding('SAME').test(kernels);
      }
    }
  });

  it('kernel sizes 1, 3 and 5 with depth multipliers 1, 2 and 3', () => {
    for (const k of [1, 3, 5]) {
      for (const m of [1, 2, 3]) {
        for (const stride of [1, 2]) {
          for (const c of [1, 8, 17]) {
            new DepthwiseTester().inputSize(8, 7).channels(c).depthMultiplier(m).kernel(k, k).stride(stride).padding('SAME').test(kernels);
          }
        }
      }
    }
  });

  it('rectangular kernels, unequal strides and explicit asymmetric padding', () => {
    new DepthwiseTester().inputSize(9, 8).channels(9).kernel(3, 5).stride(1, 2).padding('SAME').test(kernels);
    new DepthwiseTester().inputSize(9, 8).channels(9).kernel(5, 3).stride(2, 1).padding('VALID').test(kernels);
    new DepthwiseTester().inputSize(6, 6).channels(16).kernel(3, 3)
      .padding({ top: 0, left: 1, outputH: 6, outputW: 7 }).test(kernels);
    // Windows entirely in the padding leave only the bias.
    new DepthwiseTester().inputSize(4, 4).channels(3).kernel(3, 3)
      .padding({ top: 4, left: 4, outputH: 6, outputW: 6 }).test(kernels);
  });

  it('zero points at the extremes', () => {
    for (const zx of [0, 255]) {
      for (const zw of [0, 255]) {
        for (const zo of [0, 255]) {
          new DepthwiseTester().inputSize(5, 6).channels(17).stride(2).inputZeroPoint(zx).weightZeroPoint(zw)
            .outputZeroPoint(zo).test(kernels);
        }
      }
    }
    new DepthwiseTester().inputSize(5, 6).channels(17).depthMultiplier(2).weightZeroPoint('perChannel').test(kernels);
  });

  it('per-channel scales, including scales spanning decades in one layer', () => {
    for (const c of [8, 33, 67]) {
      new DepthwiseTester().inputSize(6, 5).channels(c).scales('channel').test(kernels);
      new DepthwiseTester().inputSize(6, 5).channels(c).scales('decades').weightZeroPoint(128).test(kernels);
    }
  });

  it('clamping: RELU, RELU6 and narrow ranges', () => {
    new DepthwiseTester().channels(16).relu().test(kernels);
    new DepthwiseTester().channels(16).relu6().stride(2).test(kernels);
    new DepthwiseTester().channels(16).clamp(120, 135).test(kernels);
    new DepthwiseTester().channels(16).depthMultiplier(2).clamp(0, 0).test(kernels);
  });

  it('no bias, large biases, and biases that wrap the int32 accumulator', () => {
    for (const bias of ['zero', 'large', 'extreme'] as const) {
      new DepthwiseTester().channels(15).bias(bias).test(kernels);
      new DepthwiseTester().channels(15).kernel(5, 5).depthMultiplier(2).bias(bias).scales('channel').test(kernels);
    }
  });

  it('a MobileNet layer slice: 3x3 stride 2 over 32 channels', () => {
    new DepthwiseTester().inputSize(16, 16).channels(32).kernel(3, 3).stride(2).padding('SAME').relu6().test(kernels);
  });
});
