import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { GemmTester } from './testers/gemm-tester.js';

// Below, at, divisible by and above the 8/16/32 tiles of SIMD paths, and odd.
const channelCounts = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67];

describe.each(implementations)('gemm on $name', (kernels) => {
  it('every output channel count', () => {
    for (const n of channelCounts) new GemmTester().rows(5).inputChannels(24).outputChannels(n).test(kernels);
  });

  it('small values, where an accumulator off by one changes the output', () => {
    for (const n of channelCounts) {
      new GemmTester().rows(5).inputChannels(n).outputChannels(n).values('small').test(kernels);
      new GemmTester().rows(4).inputChannels(n).outputChannels(n).values('small').scales('channel').bias('zero').test(kernels);
    }
  });

  it('every input channel count', () => {
    for (const k of channelCounts) new GemmTester().rows(5).inputChannels(k).outputChannels(9).test(kernels);
  });

  it('row counts from 1 up, odd and even', () => {
    for (let r = 1; r <= 18; r++) new GemmTester().rows(r).inputChannels(17).outputChannels(33).test(kernels);
    new GemmTester().rows(97).inputChannels(32).outputChannels(16).test(kernels);
  });

  it('MobileNet-like shapes (a slice of the rows)', () => {
    new GemmTester().rows(49).inputChannels(24).outputChannels(144).test(kernels);
    new GemmTester().rows(7).inputChannels(144).outputChannels(24).test(kernels);
    new GemmTester().rows(1).inputChannels(1024).outputChannels(67).test(kernels);
  });

  it('zero points at the extremes', () => {
    for (const zx of [0, 255]) {
      for (const zw of [0, 255]) {
        for (const zo of [0, 255]) {
          new GemmTester().rows(6).inputChannels(19).outputChannels(11)
            .inputZeroPoint(zx).weightZeroPoint(zw).outputZeroPoint(zo).test(kernels);
        }
      }
    }
    new GemmTester().rows(6).inputChannels(19).outputChannels(11).weightZeroPoint('perChannel').test(kernels);
  });

  it('per-channel scales, including scales spanning decades in one layer', () => {
    for (const n of [8, 17, 67]) {
      new GemmTester().rows(7).inputChannels(33).outputChannels(n).scales('channel').test(kernels);
      new GemmTester().rows(7).inputChannels(33).outputChannels(n).scales('decades').weightZeroPoint(128).test(kernels);
    }
  });

  it('clamping: RELU, RELU6 and narrow ranges', () => {
    new GemmTester().rows(9).inputChannels(16).outputChannels(17).relu().test(kernels);
    new GemmTester().rows(9).inputChannels(16).outputChannels(17).relu6().test(kernels);
    new GemmTester().rows(9).inputChannels(16).outputChannels(17).clamp(100, 101).test(kernels);
    new GemmTester().rows(9).inputChannels(16).outputChannels(17).clamp(77, 77).test(kernels);
  });

  it('no bias, large biases, and biases that wrap the int32 accumulator', () => {
    for (const bias of ['zero', 'large', 'extreme'] as const) {
      new GemmTester().rows(5).inputChannels(31).outputChannels(15).bias(bias).test(kernels);
      new GemmTester().rows(5).inputChannels(31).outputChannels(15).bias(bias).scales('channel').test(kernels);
    }
  });
});
