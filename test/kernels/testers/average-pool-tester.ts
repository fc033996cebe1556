// Builder for AVERAGE_POOL_2D cases:
//   new AveragePoolTester().inputSize(7, 7).channels(17).filter(3, 3).stride(2).padding('SAME').test(kernels)

import type { AveragePoolParams, KernelSet } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded, pixelLocator } from '../compare.js';
import { averagePool } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { type PaddingSpec, windowFor } from './geometry.js';
import { SeededTester } from './seeded-tester.js';

export class AveragePoolTester extends SeededTester {
  private h = 7;
  private w = 7;
  private c = 8;
  private fh = 3;
  private fw = 3;
  private sh = 1;
  private sw = 1;
  private pad: PaddingSpec = 'SAME';
  private z: number | null = null;
  private bounds: [number, number] = [0, 255];

  inputSize(h: number, w: number): this { this.h = h; this.w = w; return this; }
  channels(c: number): this { this.c = c; return this; }
  filter(h: number, w: number): this { this.fh = h; this.fw = w; return this; }
  stride(h: number, w = h): this { this.sh = h; this.sw = w; return this; }
  padding(p: PaddingSpec): this { this.pad = p; return this; }
  zeroPoint(z: number): this { this.z = z; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }

  protected settings(): Record<string, unknown> {
    return { input: [this.h, this.w, this.c], filter: [this.fh, this.fw], stride: [this.sh, this.sw], padding: this.pad, zeroPoint: this.z, clamp: this.bounds };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const win = windowFor(this.pad, this.h, this.w, this.fh, this.fw, this.sh, this.sw);
    const p: AveragePoolParams = {
      inputH: this.h, inputW: this.w, channels: this.c, filterH: this.fh, filterW: this.fw,
      strideH: this.sh, strideW: this.sw, ...win,
      zeroPoint: this.z ?? rng.int(0, 255), min: this.bounds[0], max: this.bounds[1],
    };
    const kernel = kernels.averagePool(p);
    const c = this.caseFor(kernels.name, 'averagePool', seed);
    for (let i = 0; i < 2; i++) {
      const input = rng.bytes(this.h * this.w * this.c);
      const expected = averagePool(p, input);
      const out = guarded(expected.length);
      kernel.run(input, out);
      expectSameBytes(c, out, expected, pixelLocator(win.outputW, this.c));
    }
  }
}
