// Builder for PAD cases:
//   new PadTester().inputSize(3, 4, 5).pads(1, 2, 0, 3).channelPads(0, 3).test(kernels)

import type { KernelSet, PadParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { pad } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class PadTester extends SeededTester {
  private dims: [number, number, number] = [3, 4, 5];
  private spatial: [number, number, number, number] = [1, 1, 1, 1];
  private channel: [number, number] = [0, 0];
  private fill: number | null = null;

  inputSize(h: number, w: number, c: number): this { this.dims = [h, w, c]; return this; }
  pads(top: number, bottom: number, left: number, right: number): this { this.spatial = [top, bottom, left, right]; return this; }
  channelPads(before: number, after: number): this { this.channel = [before, after]; return this; }
  value(v: number): this { this.fill = v; return this; }

  protected settings(): Record<string, unknown> {
    return { input: this.dims, pads: this.spatial, channelPads: this.channel, value: this.fill };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const [inputH, inputW, inputC] = this.dims;
    const [padTop, padBottom, padLeft, padRight] = this.spatial;
    const p: PadParams = {
      inputH, inputW, inputC, padTop, padBottom, padLeft, padRight,
      padChannelsBefore: this.channel[0], padChannelsAfter: this.channel[1], value: this.fill ?? rng.int(0, 255),
    };
    const kernel = kernels.pad(p);
    const c = this.caseFor(kernels.name, 'pad', seed);
    for (let i = 0; i < 2; i++) {
      const input = rng.bytes(inputH * inputW * inputC);
      const expected = pad(p, input);
      const out = guarded(expected.length);
      kernel.run(input, out);
      expectSameBytes(c, out, expected);
    }
  }
}
