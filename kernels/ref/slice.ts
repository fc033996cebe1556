// One output of SPLIT: a strided copy.

import type { SliceParams, UnaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'slice';

export function validateSlice(p: SliceParams): v.Sizes {
  v.paramsObject(OP, p);
  const outer = v.positiveInt(OP, 'outer', p.outer);
  const stride = v.positiveInt(OP, 'stride', p.stride);
  const offset = v.nonNegativeInt(OP, 'offset', p.offset);
  const length = v.positiveInt(OP, 'length', p.length);
  if (offset + length > stride) throw new RangeError(`${OP}: offset + length (${offset + length}) must be at most stride (${stride})`);
  return { inputSize: v.elementCount(OP, 'input', outer, stride), outputSize: v.elementCount(OP, 'output', outer, length) };
}

export function createSlice(p: SliceParams): UnaryKernel {
  const { inputSize, outputSize } = validateSlice(p);
  const { outer, stride, offset, length } = p;
  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      for (let i = 0; i < outer; i++) output.set(input.subarray(i * stride + offset, i * stride + offset + length), i * length);
    },
  };
}
