// Builder for RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR cases:
//   new ResizeTester('bilinear').sizes([5, 7, 3], [11, 13]).halfPixelCenters().test(kernels)

import type { KernelSet, ResizeParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded, pixelLocator } from '../compare.js';
import { resizeBilinear, resizeNearest } from '../plain-loop-v3.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class ResizeTester extends SeededTester {
  private input: [number, number, number] = [5, 7, 3];
  private output: [number, number] = [11, 13];
  private align = false;
  private half = false;

  constructor(private readonly mode: 'nearest' | 'bilinear') { super(); }

  sizes(input: [number, number, number], output: [number, number]): this { this.input = input; this.output = output; return this; }
  alignCorners(): this { this.align = true; return this; }
  halfPixelCenters(): this { this.half = true; return this; }

  protected settings(): Record<string, unknown> {
    return { mode: this.mode, input: this.input, output: this.output, alignCorners: this.align, halfPixelCenters: this.half };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const [inputH, inputW, channels] = this.input;
    const p: ResizeParams = {
      inputH, inputW, channels, outputH: this.output[0], outputW: this.output[1], alignCorners: this.align, halfPixelCenters: this.half,
    };
    const kernel = this.mode === 'nearest' ? kernels.resizeNearest(p) : kernels.resizeBilinear(p);
    const c = this.caseFor(kernels.name, `resize ${this.mode}`, seed);
    for (let run = 0; run < 2; run++) {
      const input = rng.bytes(inputH * inputW * channels);
      const expected = this.mode === 'nearest' ? resizeNearest(p, input) : resizeBilinear(p, input);
      const out = guarded(expected.length);
      kernel.run(input, out);
      expectSameBytes(c, out, expected, pixelLocator(p.outputW, channels));
    }
  }
}
