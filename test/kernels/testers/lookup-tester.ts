// Builders for the operators the load step tabulates (HARD_SWISH, standalone RELU and
// RELU6): the table is built by the load step's code from a layer's scales and zero
// points, checked entry by entry against the plain-loop arithmetic, and then run through
// the implementation's lookup kernel over every byte and random ones:
//   new LookupTester().hardSwish(0.05, 3, 0.03, 250).test(kernels)

import type { KernelSet } from '../../../kernels/kernel-set.js';
import { activationRange } from '../../../kernels/graph/activation-range.js';
import { hardSwishTable, int16Multiplier } from '../../../kernels/ref/hard-swish.js';
import { reluTable } from '../../../kernels/ref/relu.js';
import { quantizeMultiplier } from '../../../kernels/ref/requantize.js';
import { expectSameBytes, guarded } from '../compare.js';
import { f32 } from '../plain-loop.js';
import { hardSwish, q15, relu } from '../plain-loop-v3.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

type Kind = 'hardSwish' | 'RELU' | 'RELU6';

export class LookupTester extends SeededTester {
  private kind: Kind = 'hardSwish';
  private q: [number, number, number, number] = [0.05, 128, 0.05, 128];
  private n = 300;

  /** Input scale and zero point, output scale and zero point (uint8 domain). */
  hardSwish(si: number, zi: number, so: number, zo: number): this { this.kind = 'hardSwish'; this.q = [si, zi, so, zo]; return this; }
  relu(six: boolean, si: number, zi: number, so: number, zo: number): this { this.kind = six ? 'RELU6' : 'RELU'; this.q = [si, zi, so, zo]; return this; }
  size(n: number): this { this.n = n; return this; }

  protected settings(): Record<string, unknown> {
    return { kind: this.kind, quantization: this.q, size: this.n };
  }

  /** The table the load step builds, and the plain loop's value of each byte. */
  private tables(): [Uint8Array, (x: number) => number] {
    const [si, zi, so, zo] = this.q;
    if (this.kind === 'hardSwish') {
      const hires = f32(f32(1 / 128) * f32(si));
      const out = quantizeMultiplier(f32(hires / f32(so)));
      const reluish = quantizeMultiplier(f32(hires / f32(3 / 32768)));
      const c = {
        inputZeroPoint: zi, outputZeroPoint: zo, outputMultiplier: q15(out.multiplier), outputShift: out.shift,
        reluishMultiplier: q15(reluish.multiplier), reluishShift: reluish.shift,
      };
      const table = hardSwishTable({ ...c, outputMultiplier: int16Multiplier(out.multiplier), reluishMultiplier: int16Multiplier(reluish.multiplier) });
      return [table, (x) => hardSwish(c, x)];
    }
    const { multiplier, shift } = quantizeMultiplier(si / so);
    const range = activationRange(this.kind, 'uint8', so, zo)!;
    return [reluTable(zi, multiplier, shift, zo, range.min, range.max), (x) => relu(x, zi, multiplier, shift, zo, range.min, range.max)];
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const c = this.caseFor(kernels.name, `lookup (${this.kind})`, seed);
    const [table, value] = this.tables();
    const everyByte = Uint8Array.from({ length: 256 }, (_, x) => x);
    expectSameBytes({ ...c, op: `${this.kind} table` }, table, everyByte.map(value));
    const kernel = kernels.lookup({ size: this.n, table });
    for (let run = 0; run < 2; run++) {
      const input = Uint8Array.from({ length: this.n }, (_, i) => (run === 0 && i < 256 ? i : rng.int(0, 255)));
      const out = guarded(this.n);
      kernel.run(input, out);
      expectSameBytes(c, out, input.map(value), (j) => `[${j}] (input ${input[j]})`);
    }
  }
}
