// Builder for LOGISTIC: all 256 input values, then random ones, through one quantization:
//   new LogisticTester().inputScale(0.05).inputZeroPoint(223).test(kernels)

import type { KernelSet, LogisticParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { logistic } from '../plain-loop-detection.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class LogisticTester extends SeededTester {
  private scale = 0.05;
  private zeroPoint: number | null = null;
  private n = 400;

  inputScale(s: number): this { this.scale = s; return this; }
  inputZeroPoint(z: number): this { this.zeroPoint = z; return this; }
  size(n: number): this { this.n = n; return this; }

  protected settings(): Record<string, unknown> {
    return { inputScale: this.scale, inputZeroPoint: this.zeroPoint, size: this.n };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    // TFLite's output quantization for uint8, and int8's in the uint8 domain.
    const p: LogisticParams = {
      size: this.n, inputScale: this.scale, inputZeroPoint: this.zeroPoint ?? rng.int(0, 255), outputScale: 1 / 256, outputZeroPoint: 0,
    };
    const input = Uint8Array.from({ length: this.n }, (_, i) => (i < 256 ? i : rng.int(0, 255)));
    const expected = logistic(p, input);
    const out = guarded(expected.length);
    kernels.logistic(p).run(input, out);
    expectSameBytes(this.caseFor(kernels.name, 'logistic', seed), out, expected);
  }
}
