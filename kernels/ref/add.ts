// Quantized ADD as XNNPACK computes it (ARITHMETIC.md). The output depends only on the
// pair (a, b) of uint8 inputs, so the load step evaluates the arithmetic for all 65536
// pairs and run() is a lookup.

import type { AddParams, BinaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'add';

/** Returns the element count of each input and of the output. */
export function validateAdd(p: AddParams): number {
  v.paramsObject(OP, p);
  const size = v.positiveInt(OP, 'size', p.size);
  v.uint8Value(OP, 'inputZeroPointA', p.inputZeroPointA);
  v.uint8Value(OP, 'inputZeroPointB', p.inputZeroPointB);
  v.addMultiplier(OP, 'multiplierA', p.multiplierA);
  v.addMultiplier(OP, 'multiplierB', p.multiplierB);
  v.addShift(OP, 'shift', p.shift);
  v.uint8Value(OP, 'outputZeroPoint', p.outputZeroPoint);
  v.clampBounds(OP, '', p.min, p.max);
  return size;
}

export function createAdd(p: AddParams): BinaryKernel {
  const size = validateAdd(p);
  const {
    inputZeroPointA: za, inputZeroPointB: zb, multiplierA: ma, multiplierB: mb, shift, outputZeroPoint: zo, min, max,
  } = p;

  // The validated ranges keep every sum below 2^31, so the float64 sums are exact and
  // `>>` (ToInt32, then an arithmetic shift) floors them.
  const rounding = 2 ** (shift - 1);
  const scaledB = new Float64Array(256);
  for (let b = 0; b < 256; b++) scaledB[b] = mb * (b - zb) + rounding;
  const table = new Uint8Array(65536);
  for (let a = 0; a < 256; a++) {
    const scaledA = ma * (a - za);
    for (let b = 0; b < 256; b++) {
      const y = zo + ((scaledA + scaledB[b]) >> shift);
      table[(a << 8) | b] = y < min ? min : y > max ? max : y;
    }
  }

  return {
    run(a: Uint8Array, b: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'a', a, Uint8Array, size);
      v.buffer(OP, 'b', b, Uint8Array, size);
      v.buffer(OP, 'output', output, Uint8Array, size);
      for (let i = 0; i < size; i++) output[i] = table[(a[i] << 8) | b[i]];
    },
  };
}
