// Builder for ADD cases, quantized as the load step does (ARITHMETIC.md), or with the
// integer parameters given directly:
//   new AddTester().size(100).scales(0.05, 0.02, 0.07).zeroPoints(128, 0, 255).relu().test(kernels)
//   new AddTester().multipliers(2 ** 21, 2 ** 20, 13).allPairs().test(kernels)

import type { AddParams, KernelSet } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { add, f32, roundHalfEven } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

/** The binary exponent of a positive finite number, by exact halving and doubling. */
function exponent(x: number): number {
  let e = 0;
  for (; x >= 2; x /= 2) e++;
  for (; x < 1; x *= 2) e--;
  return e;
}

export class AddTester extends SeededTester {
  private n = 100;
  private scaleList: [number, number, number] = [0.05, 0.02, 0.07];
  private given: [number, number, number] | null = null;
  private zps: [number | null, number | null, number | null] = [null, null, null];
  private bounds: [number, number] | 'relu' = [0, 255];
  private exhaustive = false;

  size(n: number): this { this.n = n; return this; }
  /** Scales of input A, input B and the output. */
  scales(a: number, b: number, out: number): this { this.scaleList = [a, b, out]; return this; }
  /** multiplierA, multiplierB and shift as given, instead of from the scales. */
  multipliers(a: number, b: number, shift: number): this { this.given = [a, b, shift]; return this; }
  zeroPoints(a: number, b: number, out: number): this { this.zps = [a, b, out]; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }
  relu(): this { this.bounds = 'relu'; return this; }
  /** First run over all 65536 (a, b) pairs, which is every input the kernel can see. */
  allPairs(): this { this.exhaustive = true; this.n = 65536; return this; }

  protected settings(): Record<string, unknown> {
    return {
      size: this.n, scales: this.given ? null : this.scaleList, multipliers: this.given,
      zeroPoints: this.zps, clamp: this.bounds, allPairs: this.exhaustive,
    };
  }

  private scaling(): [number, number, number] {
    if (this.given) return this.given;
    const [sa, sb, so] = this.scaleList.map(f32);
    const ra = f32(sa / so), rb = f32(sb / so);
    const shift = 20 - exponent(Math.max(ra, rb));
    return [roundHalfEven(ra * 2 ** shift), roundHalfEven(rb * 2 ** shift), shift];
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const [za, zb, zo] = this.zps.map((z) => z ?? rng.int(0, 255));
    const [multiplierA, multiplierB, shift] = this.scaling();
    const [min, max] = this.bounds === 'relu' ? [zo, 255] : this.bounds;
    const p: AddParams = {
      size: this.n, inputZeroPointA: za, inputZeroPointB: zb, multiplierA, multiplierB, shift,
      outputZeroPoint: zo, min, max,
    };
    const kernel = kernels.add(p);
    const c = this.caseFor(kernels.name, 'add', seed);
    for (let i = 0; i < 2; i++) {
      const pairs = this.exhaustive && i === 0;
      const a = pairs ? Uint8Array.from({ length: this.n }, (_, j) => j >> 8) : rng.bytes(this.n);
      const b = pairs ? Uint8Array.from({ length: this.n }, (_, j) => j & 255) : rng.bytes(this.n);
      const expected = add(p, a, b);
      const out = guarded(expected.length);
      kernel.run(a, b, out);
      expectSameBytes(c, out, expected, (j) => `[${j}] (a ${a[j]}, b ${b[j]})`);
    }
  }
}
