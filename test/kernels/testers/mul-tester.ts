// Builder for MUL cases: two shapes broadcast as NumPy's, viewed as the load step views
// them (kernels/graph/lowering/mul.ts), compared with the plain-loop broadcast:
//   new MulTester().shapes([1, 7, 7, 72], [1, 1, 1, 72]).zeroPoints(0, 255, 128).test(kernels)

import type { KernelSet, MulParams } from '../../../kernels/kernel-set.js';
import { broadcast } from '../../../kernels/graph/lowering/mul.js';
import { expectSameBytes, guarded } from '../compare.js';
import { f32 } from '../plain-loop.js';
import { mul } from '../plain-loop-v3.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class MulTester extends SeededTester {
  private shapeA: number[] = [1, 4, 5, 16];
  private shapeB: number[] = [1, 1, 1, 16];
  private scaleList: [number, number, number] | null = null;
  private zps: [number | null, number | null, number | null] = [null, null, null];
  private bounds: [number, number] = [0, 255];
  private pairs = false;

  shapes(a: number[], b: number[]): this { this.shapeA = a; this.shapeB = b; return this; }
  /** Scales of A, B and the output; random when not given. */
  scales(a: number, b: number, out: number): this { this.scaleList = [a, b, out]; return this; }
  zeroPoints(a: number, b: number, out: number): this { this.zps = [a, b, out]; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }
  /** Inputs 256 x 1 and 1 x 256 with every byte: all 65536 pairs. */
  allPairs(): this { this.shapeA = [256, 1]; this.shapeB = [1, 256]; this.pairs = true; return this; }

  protected settings(): Record<string, unknown> {
    return { a: this.shapeA, b: this.shapeB, scales: this.scaleList, zeroPoints: this.zps, clamp: this.bounds, pairs: this.pairs };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const view = broadcast(this.shapeA, this.shapeB);
    if (typeof view === 'string') throw new Error(view);
    const [sa, sb, so] = this.scaleList ?? [rng.logUniform(0.001, 0.3), rng.logUniform(0.001, 0.3), rng.logUniform(0.0005, 0.5)];
    const [za, zb, zo] = this.zps.map((z) => z ?? rng.int(0, 255));
    const p: MulParams = {
      shape: view.shape, stridesA: view.stridesA, stridesB: view.stridesB, inputZeroPointA: za, inputZeroPointB: zb,
      scale: f32(f32(f32(sa) * f32(sb)) / f32(so)), outputZeroPoint: zo, min: this.bounds[0], max: this.bounds[1],
    };
    const kernel = kernels.mul(p);
    const c = this.caseFor(kernels.name, 'mul', seed);
    const count = (s: number[]): number => s.reduce((x, y) => x * y, 1);
    for (let run = 0; run < 2; run++) {
      const every = this.pairs && run === 0;
      const a = every ? Uint8Array.from({ length: 256 }, (_, i) => i) : rng.bytes(count(this.shapeA));
      const b = every ? Uint8Array.from({ length: 256 }, (_, i) => i) : rng.bytes(count(this.shapeB));
      const expected = mul(p, a, this.shapeA, b, this.shapeB);
      const out = guarded(expected.length);
      kernel.run(a, b, out);
      expectSameBytes(c, out, expected);
    }
  }
}
