// Builders for SPLIT's strided copies and for ARG_MAX:
//   new SliceTester().shape(3, 12, 2).part(1, 3).test(kernels)   // 3 x 12 x 2 split in 3 along the middle axis, part 1
//   new ArgMaxTester().shape(4, 21, 5).ties().test(kernels)
//   new ArgMaxTester().shape(4, 21, 5).int64().test(kernels)   // TensorFlow's default index type

import type { ArgMaxParams, KernelSet, SliceParams } from '../../../kernels/kernel-set.js';
import { describeCase, expectSameBytes, guarded } from '../compare.js';
import { argMax, slice } from '../plain-loop-v3.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class SliceTester extends SeededTester {
  private dims: [number, number, number] = [3, 12, 2];
  private index = 0;
  private parts = 2;

  /** outer x axis x inner. */
  shape(outer: number, axis: number, inner: number): this { this.dims = [outer, axis, inner]; return this; }
  part(index: number, parts: number): this { this.index = index; this.parts = parts; return this; }

  protected settings(): Record<string, unknown> {
    return { shape: this.dims, part: this.index, parts: this.parts };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const [outer, axis, inner] = this.dims;
    const length = (axis / this.parts) * inner;
    const p: SliceParams = { outer, stride: axis * inner, offset: this.index * length, length };
    const input = rng.bytes(outer * axis * inner);
    const expected = slice(p, input);
    const out = guarded(expected.length);
    kernels.slice(p).run(input, out);
    expectSameBytes(this.caseFor(kernels.name, 'slice', seed), out, expected);
  }
}

export class ArgMaxTester extends SeededTester {
  private dims: [number, number, number] = [4, 21, 5];
  private few = false;
  private indexType: ArgMaxParams['indexType'] = 'int32';

  shape(outer: number, axis: number, inner: number): this { this.dims = [outer, axis, inner]; return this; }
  /** Values drawn from 3 bytes only, so that the maximum is often tied. */
  ties(): this { this.few = true; return this; }
  int64(): this { this.indexType = 'int64'; return this; }

  protected settings(): Record<string, unknown> {
    return { shape: this.dims, ties: this.few, indexType: this.indexType };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const [outer, axisSize, inner] = this.dims;
    const p: ArgMaxParams = { outer, axisSize, inner, indexType: this.indexType };
    const input = this.few ? Uint8Array.from({ length: outer * axisSize * inner }, () => [0, 200, 255][rng.int(0, 2)]) : rng.bytes(outer * axisSize * inner);
    const expected = argMax(p, input);
    const out = this.indexType === 'int64' ? new BigInt64Array(expected.length + 2).fill(-7n) : new Int32Array(expected.length + 2).fill(-7);
    kernels.argMax(p).run(input, out);
    const c = this.caseFor(kernels.name, 'argMax', seed);
    const got = Array.from(out as ArrayLike<number | bigint>, Number);
    expected.forEach((e, i) => {
      if (got[i] !== e) throw new Error(`${describeCase(c)}: output[${i}] = ${got[i]}, expected ${e}`);
    });
    if (got[expected.length] !== -7) throw new Error(`${describeCase(c)}: wrote past the output's end`);
  }
}
