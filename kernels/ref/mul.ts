// Quantized MUL with broadcasting, as XNNPACK computes it (ARITHMETIC.md): the centred
// product requantized with the fp32 output stage of the convolutions. The output depends
// only on the pair (a, b), so the factory tabulates all 65536 and run() walks the
// broadcast shape doing lookups.

import type { BinaryKernel, MulParams } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'mul';
/** Adding and subtracting 1.5 * 2^52 rounds a float64 below 2^51 in magnitude to an integer, ties to even. */
const ROUND = 6755399441055744;

export interface MulSizes {
  sizeA: number;
  sizeB: number;
  outputSize: number;
}

/** The elements each input spans and the output's count. */
export function validateMul(p: MulParams): MulSizes {
  v.paramsObject(OP, p);
  if (!Array.isArray(p.shape) || p.shape.length < 1 || p.shape.length > 4) {
    throw new RangeError(`${OP}: shape must have 1 to 4 dims, got ${String(p.shape)}`);
  }
  const rank = p.shape.length;
  for (const [name, strides] of [['stridesA', p.stridesA], ['stridesB', p.stridesB]] as const) {
    if (!Array.isArray(strides) || strides.length !== rank) throw new RangeError(`${OP}: ${name} must have ${rank} entries`);
  }
  let sizeA = 1;
  let sizeB = 1;
  p.shape.forEach((d, k) => {
    v.positiveInt(OP, `shape[${k}]`, d);
    sizeA += (d - 1) * v.nonNegativeInt(OP, `stridesA[${k}]`, p.stridesA[k]);
    sizeB += (d - 1) * v.nonNegativeInt(OP, `stridesB[${k}]`, p.stridesB[k]);
  });
  // Kernels read rows along the innermost axis contiguously, or repeat one element.
  if (p.stridesA[rank - 1] > 1 || p.stridesB[rank - 1] > 1) throw new RangeError(`${OP}: the innermost strides must be 0 or 1`);
  const outputSize = v.elementCount(OP, 'output', ...p.shape);
  v.elementCount(OP, 'input A', sizeA);
  v.elementCount(OP, 'input B', sizeB);
  v.uint8Value(OP, 'inputZeroPointA', p.inputZeroPointA);
  v.uint8Value(OP, 'inputZeroPointB', p.inputZeroPointB);
  if (typeof p.scale !== 'number' || !(p.scale > 0 && p.scale < v.MAX_SCALE) || Math.fround(p.scale) !== p.scale) {
    throw new RangeError(`${OP}: scale must be a float32 > 0 and < ${v.MAX_SCALE}, got ${String(p.scale)}`);
  }
  v.uint8Value(OP, 'outputZeroPoint', p.outputZeroPoint);
  v.clampBounds(OP, '', p.min, p.max);
  return { sizeA, sizeB, outputSize };
}

/** The output for one pair of input bytes. */
export function mulValue(p: MulParams, a: number, b: number): number {
  // |acc| <= 255 * 255: exact in float32, and acc * scale exact in float64 before fround.
  const acc = (a - p.inputZeroPointA) * (b - p.inputZeroPointB);
  const y = Math.fround(acc * p.scale);
  const lo = p.min - p.outputZeroPoint;
  const hi = p.max - p.outputZeroPoint;
  return p.outputZeroPoint + (y < lo ? lo : y > hi ? hi : y) + ROUND - ROUND;
}

/** Pads shape and strides to 4 dims, outermost first. */
function four(values: number[], fill: number): [number, number, number, number] {
  const out = [fill, fill, fill, fill];
  values.forEach((x, i) => { out[4 - values.length + i] = x; });
  return out as [number, number, number, number];
}

export function createMul(p: MulParams): BinaryKernel {
  const { sizeA, sizeB, outputSize } = validateMul(p);
  const table = new Uint8Array(65536);
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) table[(a << 8) | b] = mulValue(p, a, b);
  const [d0, d1, d2, d3] = four(p.shape, 1);
  const [a0, a1, a2, a3] = four(p.stridesA, 0);
  const [b0, b1, b2, b3] = four(p.stridesB, 0);

  return {
    run(a: Uint8Array, b: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'a', a, Uint8Array, sizeA);
      v.buffer(OP, 'b', b, Uint8Array, sizeB);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      let o = 0;
      for (let i0 = 0; i0 < d0; i0++) {
        for (let i1 = 0; i1 < d1; i1++) {
          for (let i2 = 0; i2 < d2; i2++) {
            let ia = i0 * a0 + i1 * a1 + i2 * a2;
            let ib = i0 * b0 + i1 * b1 + i2 * b2;
            for (let i3 = 0; i3 < d3; i3++, ia += a3, ib += b3) output[o++] = table[(a[ia] << 8) | b[ib]];
          }
        }
      }
    },
  };
}
