// Builder for SOFTMAX cases:
//   new SoftmaxTester().rows(3).channels(1001).beta(1).inputScale(0.1).test(kernels)

import type { KernelSet, SoftmaxParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { softmax } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class SoftmaxTester extends SeededTester {
  private r = 2;
  private c = 10;
  private b = 1;
  private si = 0.1;
  private so = 1 / 256;
  private zo = 0;
  private bounds: [number, number] = [0, 255];
  private spread = 255;

  rows(r: number): this { this.r = r; return this; }
  channels(c: number): this { this.c = c; return this; }
  beta(b: number): this { this.b = b; return this; }
  inputScale(s: number): this { this.si = s; return this; }
  output(scale: number, zeroPoint: number): this { this.so = scale; this.zo = zeroPoint; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }
  /** Inputs drawn from [255 - spread, 255]; 0 makes every row constant. */
  inputSpread(s: number): this { this.spread = s; return this; }

  protected settings(): Record<string, unknown> {
    return { rows: this.r, channels: this.c, beta: this.b, inputScale: this.si, outputScale: this.so, outputZeroPoint: this.zo, clamp: this.bounds, spread: this.spread };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const p: SoftmaxParams = {
      rows: this.r, channels: this.c,
      expTable: Float64Array.from({ length: 256 }, (_, d) => Math.exp(-this.b * this.si * d)),
      inverseOutputScale: 1 / this.so, outputZeroPoint: this.zo, min: this.bounds[0], max: this.bounds[1],
    };
    const kernel = kernels.softmax(p);
    const c = this.caseFor(kernels.name, 'softmax', seed);
    for (let i = 0; i < 2; i++) {
      const input = Uint8Array.from({ length: this.r * this.c }, () => rng.int(255 - this.spread, 255));
      const expected = softmax(p, input);
      const out = guarded(expected.length);
      kernel.run(input, out);
      expectSameBytes(c, out, expected, (j) => `[row ${Math.floor(j / this.c)}, c ${j % this.c}]`);
    }
  }
}
