// Builder for ADD cases, quantized as TFLite's lowering does:
//   new AddTester().size(100).scales(0.05, 0.02, 0.07).zeroPoints(128, 0, 255).relu().test(kernels)

import type { AddParams, KernelSet } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { add, quantizeMultiplier } from '../plain-loop.js';
import { Rng } from '../rng.js';
import { SeededTester } from './seeded-tester.js';

export class AddTester extends SeededTester {
  private n = 100;
  private scaleList: [number, number, number] = [0.05, 0.02, 0.07];
  private zps: [number | null, number | null, number | null] = [null, null, null];
  private bounds: [number, number] | 'relu' = [0, 255];

  size(n: number): this { this.n = n; return this; }
  /** Scales of input A, input B and the output. */
  scales(a: number, b: number, out: number): this { this.scaleList = [a, b, out]; return this; }
  zeroPoints(a: number, b: number, out: number): this { this.zps = [a, b, out]; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }
  relu(): this { this.bounds = 'relu'; return this; }

  protected settings(): Record<string, unknown> {
    return { size: this.n, scales: this.scaleList, zeroPoints: this.zps, clamp: this.bounds };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const [sa, sb, so] = this.scaleList;
    const [za, zb, zo] = this.zps.map((z) => z ?? rng.int(0, 255));
    const twiceMax = 2 * Math.max(sa, sb);
    const qa = quantizeMultiplier(sa / twiceMax);
    const qb = quantizeMultiplier(sb / twiceMax);
    const q = quantizeMultiplier(twiceMax / (2 ** 20 * so));
    const [min, max] = this.bounds === 'relu' ? [zo, 255] : this.bounds;
    const p: AddParams = {
      size: this.n, inputZeroPointA: za, inputZeroPointB: zb,
      multiplierA: qa.multiplier, shiftA: qa.shift, multiplierB: qb.multiplier, shiftB: qb.shift,
      requant: { multiplier: Int32Array.of(q.multiplier), shift: Int32Array.of(q.shift), outputZeroPoint: zo, min, max },
    };
    const kernel = kernels.add(p);
    const c = this.caseFor(kernels.name, 'add', seed);
    for (let i = 0; i < 2; i++) {
      const a = rng.bytes(this.n);
      const b = rng.bytes(this.n);
      const expected = add(p, a, b);
      const out = guarded(expected.length);
      kernel.run(a, b, out);
      expectSameBytes(c, out, expected);
    }
  }
}
