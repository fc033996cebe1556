// LOGISTIC as TensorFlow Lite computes it for uint8 and int8: a 256-entry table of
// round(1 / (1 + exp(-x)) / outputScale) + outputZeroPoint, with x the dequantized input,
// every step in float32 and the rounding half away from zero (ARITHMETIC.md). In the
// uint8 domain the int8 table is the same table, shifted by 128 on both sides.

import type { LogisticParams, UnaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'logistic';

export function validateLogistic(p: LogisticParams): number {
  v.paramsObject(OP, p);
  const size = v.positiveInt(OP, 'size', p.size);
  v.finitePositive(OP, 'inputScale', p.inputScale);
  v.uint8Value(OP, 'inputZeroPoint', p.inputZeroPoint);
  v.finitePositive(OP, 'outputScale', p.outputScale);
  v.uint8Value(OP, 'outputZeroPoint', p.outputZeroPoint);
  return size;
}

export function logisticTable(p: LogisticParams): Uint8Array {
  const f = Math.fround;
  const inverse = f(1 / f(p.outputScale));
  const scale = f(p.inputScale);
  const table = new Uint8Array(256);
  for (let q = 0; q < 256; q++) {
    const x = f(scale * (q - p.inputZeroPoint));
    const sigmoid = f(1 / f(1 + f(Math.exp(-x))));
    const r = f(sigmoid * inverse);
    const y = (r < 0 ? -Math.round(-r) : Math.round(r)) + p.outputZeroPoint;
    table[q] = y < 0 ? 0 : y > 255 ? 255 : y;
  }
  return table;
}

export function createLogistic(p: LogisticParams): UnaryKernel {
  const size = validateLogistic(p);
  const table = logisticTable(p);
  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, size);
      v.buffer(OP, 'output', output, Uint8Array, size);
      for (let i = 0; i < size; i++) output[i] = table[input[i]];
    },
  };
}
