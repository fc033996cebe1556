// Builders for QUANTIZE from float and DEQUANTIZE to float:
//   new QuantizeTester().scale(0.25).zeroPoint(128).values(Float32Array.of(0.125, -0.125)).test(kernels)
//   new DequantizeTester().scale(0.0235).zeroPoint(3).test(kernels)

import type { KernelSet, QuantizeParams } from '../../../kernels/kernel-set.js';
import { expectSameBytes, expectSameFloats, guarded } from '../compare.js';
import { dequantize, quantize } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class QuantizeTester extends SeededTester {
  private s = 0.05;
  private z = 128;
  private bounds: [number, number] = [0, 255];
  private given: Float32Array | null = null;

  scale(s: number): this { this.s = s; return this; }
  zeroPoint(z: number): this { this.z = z; return this; }
  clamp(min: number, max: number): this { this.bounds = [min, max]; return this; }
  /** Fixed inputs instead of random ones around the representable range. */
  values(v: Float32Array): this { this.given = v; return this; }

  protected settings(): Record<string, unknown> {
    return { scale: this.s, zeroPoint: this.z, clamp: this.bounds, values: this.given && Array.from(this.given).map(String) };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const input = this.given ?? Float32Array.from({ length: 500 }, () => (rng.float() * 300 - 150 - (this.z - 128)) * this.s);
    const p: QuantizeParams = { size: input.length, scale: this.s, zeroPoint: this.z, min: this.bounds[0], max: this.bounds[1] };
    const expected = quantize(p, input);
    const out = guarded(expected.length);
    kernels.quantize(p).run(input, out);
    expectSameBytes(this.caseFor(kernels.name, 'quantize', seed), out, expected, (i) => `[${i}] (input ${input[i]})`);
  }
}

export class DequantizeTester extends SeededTester {
  private s = 0.05;
  private z = 128;

  scale(s: number): this { this.s = s; return this; }
  zeroPoint(z: number): this { this.z = z; return this; }

  protected settings(): Record<string, unknown> {
    return { scale: this.s, zeroPoint: this.z };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const input = Uint8Array.from({ length: 256 }, (_, i) => i);
    const p = { size: input.length, scale: this.s, zeroPoint: this.z };
    const expected = dequantize(p, input);
    const out = new Float32Array(expected.length + 4).fill(-7);
    kernels.dequantize(p).run(input, out);
    const c = this.caseFor(kernels.name, 'dequantize', seed);
    expectSameFloats(c, out, expected);
    if (out.subarray(expected.length).some((v) => v !== -7)) throw new Error('dequantize wrote past the output end');
  }
}
