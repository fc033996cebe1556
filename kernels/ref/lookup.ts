// A byte-to-byte table applied elementwise: HARD_SWISH, RELU and RELU6, whose outputs
// depend only on the input byte, tabulated at load (hard-swish.ts, relu.ts).

import type { LookupParams, UnaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'lookup';

export function validateLookup(p: LookupParams): number {
  v.paramsObject(OP, p);
  const size = v.positiveInt(OP, 'size', p.size);
  if (!(p.table instanceof Uint8Array) || p.table.length !== 256) throw new TypeError(`${OP}: table must be a Uint8Array of 256 bytes`);
  return size;
}

export function createLookup(p: LookupParams): UnaryKernel {
  const size = validateLookup(p);
  const table = p.table.slice();
  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, size);
      v.buffer(OP, 'output', output, Uint8Array, size);
      for (let i = 0; i < size; i++) output[i] = table[input[i]];
    },
  };
}
