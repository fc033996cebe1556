// The MobileNet V3 operators of kernels/ARITHMETIC.md as plain loops, written from the page
// and not from the kernels: BigInt for the fixed point, a float32 array element for
// float32 rounding, full NumPy index arithmetic for broadcasting, no tables.

import type { ArgMaxParams, MulParams, ResizeParams, SliceParams } from '../../kernels/kernel-set.js';
import { f32, roundHalfEven } from './plain-loop.js';

const big = BigInt;

/** Division by 2^e rounded to nearest, ties away from zero. */
function rdbp(x: bigint, e: number): bigint {
  if (e === 0) return x;
  const d = 1n << big(e);
  const q = (x < 0n ? -x : x) / d;
  const r = (x < 0n ? -x : x) % d;
  const rounded = r * 2n >= d ? q + 1n : q;
  return x < 0n ? -rounded : rounded;
}

/** round(a * b / 2^bits), ties away from zero; the one overflow case saturates. */
function srdhm(a: bigint, b: bigint, bits: number): bigint {
  const min = -(1n << big(bits));
  if (a === min && b === min) return (1n << big(bits)) - 1n;
  return rdbp(a * b, bits);
}

const sat16 = (x: bigint): bigint => (x > 32767n ? 32767n : x < -32768n ? -32768n : x);
const clampByte = (x: number): number => Math.min(255, Math.max(0, x));

export interface HardSwishConstants {
  inputZeroPoint: number;
  outputZeroPoint: number;
  outputMultiplier: number;
  outputShift: number;
  reluishMultiplier: number;
  reluishShift: number;
}

export function hardSwish(c: HardSwishConstants, x: number): number {
  const h = big(x - c.inputZeroPoint) * 128n;
  const p = srdhm(h, big(c.outputMultiplier), 15);
  let r = h;
  if (c.reluishShift > 0) r = sat16(r * (1n << big(c.reluishShift - 1)));
  r = srdhm(r, big(c.reluishMultiplier), 15);
  if (c.reluishShift > 0) r = sat16(r * 2n);
  if (c.reluishShift < 0) r = rdbp(r, -c.reluishShift);
  r = (r + 32768n) >> 1n;
  const q = (r * p) / 32768n; // BigInt division truncates toward zero
  const y = Number(BigInt.asIntN(16, rdbp(q, -c.outputShift) + big(c.outputZeroPoint)));
  return clampByte(y);
}

/** The int16 multiplier of a Q31 one. */
export function q15(m: number): number {
  return m >= 2 ** 31 - 1 - 2 ** 15 ? 32767 : Math.floor((m + 2 ** 15) / 2 ** 16);
}

/** Standalone RELU/RELU6: double-rounding requantization, then the clamp. */
export function relu(x: number, zi: number, multiplier: number, shift: number, zo: number, min: number, max: number): number {
  const shifted = BigInt.asIntN(32, big(x - zi) * (1n << big(Math.max(shift, 0))));
  const y = zo + Number(rdbp(srdhm(shifted, big(multiplier), 31), Math.max(-shift, 0)));
  return Math.min(max, Math.max(min, y));
}

export function mulValue(p: MulParams, a: number, b: number): number {
  const v = f32((a - p.inputZeroPointA) * (b - p.inputZeroPointB) * p.scale);
  const lo = p.min - p.outputZeroPoint;
  const hi = p.max - p.outputZeroPoint;
  return p.outputZeroPoint + roundHalfEven(v < lo ? lo : v > hi ? hi : v);
}

/** MUL of NumPy-broadcast tensors of shapes `shapeA` and `shapeB` (the uint8 domain). */
export function mul(p: MulParams, a: Uint8Array, shapeA: number[], b: Uint8Array, shapeB: number[]): Uint8Array {
  const rank = Math.max(shapeA.length, shapeB.length);
  const pa = [...new Array(rank - shapeA.length).fill(1), ...shapeA];
  const pb = [...new Array(rank - shapeB.length).fill(1), ...shapeB];
  const out = pa.map((d, k) => Math.max(d, pb[k]));
  const count = out.reduce((x, y) => x * y, 1);
  const result = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const index: number[] = [];
    let rest = i;
    for (let k = rank - 1; k >= 0; k--) {
      index[k] = rest % out[k];
      rest = Math.floor(rest / out[k]);
    }
    const flat = (shape: number[]): number => shape.reduce((acc, d, k) => acc * d + (d === 1 ? 0 : index[k]), 0);
    result[i] = mulValue(p, a[flat(pa)], b[flat(pb)]);
  }
  return result;
}

function axisScale(input: number, output: number, align: boolean): number {
  return align && output > 1 ? f32((input - 1) / (output - 1)) : f32(input / output);
}

export function resizeNearest(p: ResizeParams, input: Uint8Array): Uint8Array {
  const source = (o: number, inSize: number, outSize: number): number => {
    const v = f32(f32(o + (p.halfPixelCenters ? 0.5 : 0)) * axisScale(inSize, outSize, p.alignCorners));
    let i = Math.min(p.alignCorners ? Math.sign(v) * Math.floor(Math.abs(v) + 0.5) : Math.floor(v), inSize - 1);
    if (p.halfPixelCenters) i = Math.max(0, i);
    return i;
  };
  const out = new Uint8Array(p.outputH * p.outputW * p.channels);
  for (let y = 0; y < p.outputH; y++) {
    for (let x = 0; x < p.outputW; x++) {
      const sy = source(y, p.inputH, p.outputH);
      const sx = source(x, p.inputW, p.outputW);
      for (let c = 0; c < p.channels; c++) out[(y * p.outputW + x) * p.channels + c] = input[(sy * p.inputW + sx) * p.channels + c];
    }
  }
  return out;
}

export function resizeBilinear(p: ResizeParams, input: Uint8Array): Uint8Array {
  const axis = (o: number, inSize: number, outSize: number): [number, number, number] => {
    const scale = axisScale(inSize, outSize, p.alignCorners);
    let v = f32(o * scale);
    if (p.halfPixelCenters) v = Math.min(Math.max(f32(v + f32(f32(0.5 * scale) - 0.5)), 0), inSize - 1);
    const first = Math.trunc(v);
    return [first, Math.min(first + 1, inSize - 1), roundHalfEven(f32(v - first) * 2048)];
  };
  const at = (y: number, x: number, c: number): number => input[(y * p.inputW + x) * p.channels + c];
  const out = new Uint8Array(p.outputH * p.outputW * p.channels);
  for (let y = 0; y < p.outputH; y++) {
    const [y0, y1, ay] = axis(y, p.inputH, p.outputH);
    for (let x = 0; x < p.outputW; x++) {
      const [x0, x1, ax] = axis(x, p.inputW, p.outputW);
      for (let c = 0; c < p.channels; c++) {
        const t = at(y0, x0, c) * 2048 + (at(y0, x1, c) - at(y0, x0, c)) * ax;
        const b = at(y1, x0, c) * 2048 + (at(y1, x1, c) - at(y1, x0, c)) * ax;
        out[(y * p.outputW + x) * p.channels + c] = Math.floor((t * 2048 + (b - t) * ay + 2 ** 21) / 2 ** 22);
      }
    }
  }
  return out;
}

export function slice(p: SliceParams, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.outer * p.length);
  for (let i = 0; i < p.outer; i++) for (let j = 0; j < p.length; j++) out[i * p.length + j] = input[i * p.stride + p.offset + j];
  return out;
}

export function argMax(p: ArgMaxParams, input: Uint8Array): Int32Array {
  const out = new Int32Array(p.outer * p.inner);
  for (let i = 0; i < p.outer; i++) {
    for (let j = 0; j < p.inner; j++) {
      const values = Array.from({ length: p.axisSize }, (_, k) => input[(i * p.axisSize + k) * p.inner + j]);
      out[i * p.inner + j] = values.indexOf(Math.max(...values));
    }
  }
  return out;
}
