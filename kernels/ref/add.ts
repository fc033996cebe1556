// TFLite's quantized ADD. The output depends only on the pair (a, b) of uint8 inputs,
// so the load step evaluates the arithmetic for all 65536 pairs and run() is a lookup.

import type { AddParams, BinaryKernel } from '../kernel-set.js';
import { OutputStage } from './output-stage.js';
import { mbqm } from './requantize.js';
import * as v from './validate.js';

const OP = 'add';
const LEFT_SHIFT = 20;

export function createAdd(p: AddParams): BinaryKernel {
  v.paramsObject(OP, p);
  const size = v.positiveInt(OP, 'size', p.size);
  const za = v.uint8Value(OP, 'inputZeroPointA', p.inputZeroPointA);
  const zb = v.uint8Value(OP, 'inputZeroPointB', p.inputZeroPointB);
  const ma = v.multiplierValue(OP, 'multiplierA', p.multiplierA);
  const sa = v.shiftValue(OP, 'shiftA', p.shiftA);
  const mb = v.multiplierValue(OP, 'multiplierB', p.multiplierB);
  const sb = v.shiftValue(OP, 'shiftB', p.shiftB);
  v.requantization(OP, p.requant, 1);

  const scaledA = new Int32Array(256);
  const scaledB = new Int32Array(256);
  for (let x = 0; x < 256; x++) {
    scaledA[x] = mbqm((x - za) << LEFT_SHIFT, ma, sa);
    scaledB[x] = mbqm((x - zb) << LEFT_SHIFT, mb, sb);
  }
  const stage = new OutputStage(p.requant);
  const table = new Uint8Array(65536);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) table[(a << 8) | b] = stage.apply((scaledA[a] + scaledB[b]) | 0, 0);
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
