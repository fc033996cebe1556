// QUANTIZE between two uint8 quantizations. Only 256 inputs exist, so the load step
// tabulates them and run() is a lookup.

import type { RequantizeParams, UnaryKernel } from '../kernel-set.js';
import { FixedPointStage } from './fixed-point-stage.js';
import * as v from './validate.js';

const OP = 'requantize';

/** Returns the element count of the input and of the output. */
export function validateRequantize(p: RequantizeParams): number {
  v.paramsObject(OP, p);
  const size = v.positiveInt(OP, 'size', p.size);
  v.uint8Value(OP, 'inputZeroPoint', p.inputZeroPoint);
  v.requantization(OP, p.requant, 1);
  return size;
}

export function createRequantize(p: RequantizeParams): UnaryKernel {
  const size = validateRequantize(p);
  const zi = p.inputZeroPoint;
  const stage = new FixedPointStage(p.requant);
  const table = new Uint8Array(256);
  for (let x = 0; x < 256; x++) table[x] = stage.apply(x - zi);

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, size);
      v.buffer(OP, 'output', output, Uint8Array, size);
      for (let i = 0; i < size; i++) output[i] = table[input[i]];
    },
  };
}
