// Builder for CONCATENATION: inputs of random sizes along the axis, each with its own
// quantization (or the output's, to be copied):
//   new ConcatenationTester().inputs(6).outer(1).inner(4).sameAsOutput([0]).test(kernels)

import type { ConcatenationParams, KernelSet } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { concatenation } from '../plain-loop-detection.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class ConcatenationTester extends SeededTester {
  private count = 3;
  private outerSize = 2;
  private innerSize = 5;
  private copied: number[] = [];
  private zeroPoints: number[] | null = null;

  inputs(n: number): this { this.count = n; return this; }
  outer(n: number): this { this.outerSize = n; return this; }
  inner(n: number): this { this.innerSize = n; return this; }
  /** Inputs quantized exactly like the output (copied, not requantized). */
  sameAsOutput(indices: number[]): this { this.copied = indices; return this; }
  /** The zero points of the inputs then of the output, instead of random ones. */
  zeroPointsOf(values: number[]): this { this.zeroPoints = values; return this; }

  protected settings(): Record<string, unknown> {
    return { inputs: this.count, outer: this.outerSize, inner: this.innerSize, sameAsOutput: this.copied, zeroPoints: this.zeroPoints };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const outputScale = rng.logUniform(0.005, 0.5);
    const outputZeroPoint = this.zeroPoints?.[this.count] ?? rng.int(0, 255);
    const p: ConcatenationParams = {
      outer: this.outerSize, inner: this.innerSize,
      axisSizes: Array.from({ length: this.count }, () => rng.int(1, 7)),
      inputScales: [], inputZeroPoints: [], outputScale, outputZeroPoint,
    };
    for (let i = 0; i < this.count; i++) {
      const same = this.copied.includes(i);
      p.inputScales.push(same ? outputScale : outputScale * rng.logUniform(0.1, 10));
      p.inputZeroPoints.push(same ? outputZeroPoint : this.zeroPoints?.[i] ?? rng.int(0, 255));
    }
    // Every byte value in the first input, random ones elsewhere.
    const inputs = p.axisSizes.map((d, i) => {
      const n = this.outerSize * d * this.innerSize;
      return Uint8Array.from({ length: n }, (_, j) => (i === 0 && j < 256 ? j : rng.int(0, 255)));
    });
    const expected = concatenation(p, inputs);
    const out = guarded(expected.length);
    const kernel = kernels.concatenation(p);
    kernel.run(inputs, out);
    expectSameBytes(this.caseFor(kernels.name, 'concatenation', seed), out, expected);
  }
}
