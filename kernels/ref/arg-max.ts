// ARG_MAX: the index of the largest value along one axis, the first one on ties (as
// TFLite). Comparing uint8-domain bytes orders int8 values the same way.

import type { ArgMaxKernel, ArgMaxParams } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'argMax';

export function validateArgMax(p: ArgMaxParams): v.Sizes {
  v.paramsObject(OP, p);
  const outer = v.positiveInt(OP, 'outer', p.outer);
  const axisSize = v.positiveInt(OP, 'axisSize', p.axisSize);
  const inner = v.positiveInt(OP, 'inner', p.inner);
  return { inputSize: v.elementCount(OP, 'input', outer, axisSize, inner), outputSize: v.elementCount(OP, 'output', outer, inner) };
}

export function createArgMax(p: ArgMaxParams): ArgMaxKernel {
  const { inputSize, outputSize } = validateArgMax(p);
  const { outer, axisSize, inner } = p;
  return {
    run(input: Uint8Array, output: Int32Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Int32Array, outputSize);
      for (let i = 0; i < outer; i++) {
        for (let j = 0; j < inner; j++) {
          const base = i * axisSize * inner + j;
          let best = 0;
          let max = input[base];
          for (let k = 1; k < axisSize; k++) {
            const x = input[base + k * inner];
            if (x > max) { max = x; best = k; }
          }
          output[i * inner + j] = best;
        }
      }
    },
  };
}
