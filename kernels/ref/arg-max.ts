// ARG_MAX: the index of the largest value along one axis, the first one on ties (as
// TFLite), as int32 or int64. Comparing uint8-domain bytes orders int8 values the same way.

import type { ArgMaxKernel, ArgMaxParams } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'argMax';

export function validateArgMax(p: ArgMaxParams): v.Sizes {
  v.paramsObject(OP, p);
  const outer = v.positiveInt(OP, 'outer', p.outer);
  const axisSize = v.positiveInt(OP, 'axisSize', p.axisSize);
  const inner = v.positiveInt(OP, 'inner', p.inner);
  if (p.indexType !== 'int32' && p.indexType !== 'int64') throw new TypeError(`${OP}: indexType must be 'int32' or 'int64', got ${JSON.stringify(p.indexType)}`);
  return { inputSize: v.elementCount(OP, 'input', outer, axisSize, inner), outputSize: v.elementCount(OP, 'output', outer, inner) };
}

export function createArgMax(p: ArgMaxParams): ArgMaxKernel {
  const { inputSize, outputSize } = validateArgMax(p);
  const { outer, axisSize, inner } = p;
  const wide = p.indexType === 'int64';
  const store = wide
    ? (out: Int32Array | BigInt64Array, k: number, index: number): void => void ((out as BigInt64Array)[k] = BigInt(index))
    : (out: Int32Array | BigInt64Array, k: number, index: number): void => void ((out as Int32Array)[k] = index);
  return {
    run(input: Uint8Array, output: Int32Array | BigInt64Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      if (wide) v.buffer(OP, 'output', output, BigInt64Array, outputSize);
      else v.buffer(OP, 'output', output, Int32Array, outputSize);
      for (let i = 0; i < outer; i++) {
        for (let j = 0; j < inner; j++) {
          const base = i * axisSize * inner + j;
          let best = 0;
          let max = input[base];
          for (let k = 1; k < axisSize; k++) {
            const x = input[base + k * inner];
            if (x > max) { max = x; best = k; }
          }
          store(output, i * inner + j, best);
        }
      }
    },
  };
}
