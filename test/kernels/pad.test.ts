import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { PadTester } from './testers/pad-tester.js';

describe.each(implementations)('pad on $name', (kernels) => {
  it('spatial padding on every side, alone and together', () => {
    const sides: [number, number, number, number][] = [[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 1], [0, 1, 0, 1], [3, 2, 4, 5]];
    for (const s of sides) new PadTester().inputSize(4, 5, 3).pads(...s).test(kernels);
  });

  it('channel padding, with and without spatial padding', () => {
    for (const [b, a] of [[1, 0], [0, 1], [2, 3]]) {
      new PadTester().inputSize(3, 3, 7).pads(0, 0, 0, 0).channelPads(b, a).test(kernels);
      new PadTester().inputSize(3, 3, 7).pads(1, 0, 2, 1).channelPads(b, a).test(kernels);
    }
  });

  it('fill values 0 and 255, one-element inputs', () => {
    new PadTester().inputSize(1, 1, 1).pads(1, 1, 1, 1).value(0).test(kernels);
    new PadTester().inputSize(2, 3, 16).pads(0, 1, 1, 0).value(255).test(kernels);
  });
});
