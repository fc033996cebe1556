// Builder for MEAN over height and width:
//   new MeanTester().inputSize(7, 7).channels(1024).scaleRatio(1.3).test(kernels)

import type { KernelSet, MeanParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { mean, quantizeMultiplier } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class MeanTester extends SeededTester {
  private h = 7;
  private w = 7;
  private c = 8;
  private zi: number | null = null;
  private zo: number | null = null;
  private ratio = 1;
  private bounds: [number, number] = [0, 255];

  inputSize(h: number, w: number): this { this.h = h; this.w = w; return this; }
  channels(c: number): this { this.c = c; return this; }
  inputZeroPoint(z: number): this { this.zi = z; return this; }
  outputZeroPoint(z: number): this { this.zo = z; return this; }
  /** inputScale / outputScale. */
  scaleRatio(r: number): this { this.ratio = r; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }

  protected settings(): Record<string, unknown> {
    return { input: [this.h, this.w, this.c], inputZeroPoint: this.zi, outputZeroPoint: this.zo, scaleRatio: this.ratio, clamp: this.bounds };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const q = quantizeMultiplier(this.ratio / (this.h * this.w));
    const p: MeanParams = {
      inputH: this.h, inputW: this.w, channels: this.c, inputZeroPoint: this.zi ?? rng.int(0, 255),
      requant: {
        multiplier: Int32Array.of(q.multiplier), shift: Int32Array.of(q.shift),
        outputZeroPoint: this.zo ?? rng.int(0, 255), min: this.bounds[0], max: this.bounds[1],
      },
    };
    const kernel = kernels.mean(p);
    const c = this.caseFor(kernels.name, 'mean', seed);
    for (let i = 0; i < 2; i++) {
      const input = rng.bytes(this.h * this.w * this.c);
      const expected = mean(p, input);
      const out = guarded(expected.length);
      kernel.run(input, out);
      expectSameBytes(c, out, expected);
    }
  }
}
