// Builder for QUANTIZE between uint8 quantizations; the input holds all 256 values
// first, then random ones:
//   new RequantizeTester().scaleRatio(0.37).zeroPoints(3, 250).test(kernels)

import type { KernelSet, RequantizeParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { quantizeMultiplier, requantize } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class RequantizeTester extends SeededTester {
  private n = 300;
  private ratio = 0.5;
  private given: [number, number] | null = null;
  private zps: [number | null, number | null] = [null, null];
  private bounds: [number, number] = [0, 255];

  size(n: number): this { this.n = n; return this; }
  /** inputScale / outputScale. */
  scaleRatio(r: number): this { this.ratio = r; return this; }
  /** The fixed-point multiplier and shift as given, instead of from the ratio. */
  multiplier(multiplier: number, shift: number): this { this.given = [multiplier, shift]; return this; }
  zeroPoints(input: number, output: number): this { this.zps = [input, output]; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }

  protected settings(): Record<string, unknown> {
    return { size: this.n, scaleRatio: this.given ? null : this.ratio, multiplier: this.given, zeroPoints: this.zps, clamp: this.bounds };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const q = this.given ? { multiplier: this.given[0], shift: this.given[1] } : quantizeMultiplier(this.ratio);
    const p: RequantizeParams = {
      size: this.n, inputZeroPoint: this.zps[0] ?? rng.int(0, 255),
      requant: {
        multiplier: Int32Array.of(q.multiplier), shift: Int32Array.of(q.shift),
        outputZeroPoint: this.zps[1] ?? rng.int(0, 255), min: this.bounds[0], max: this.bounds[1],
      },
    };
    const input = Uint8Array.from({ length: this.n }, (_, i) => (i < 256 ? i : rng.int(0, 255)));
    const expected = requantize(p, input);
    const out = guarded(expected.length);
    kernels.requantize(p).run(input, out);
    expectSameBytes(this.caseFor(kernels.name, 'requantize', seed), out, expected);
  }
}
