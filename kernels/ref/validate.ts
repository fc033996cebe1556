// Argument checks shared by the factories (once, at load) and run() (cheap length checks).
// TypeError: the value has the wrong type or is not an integer; RangeError: right type,
// value out of range. Messages name the operator and the parameter.

import type { Requantization, ScaleRequantization } from '../kernel-set.js';
import { MAX_SHIFT, MIN_SHIFT } from './requantize.js';

const INT32_MAX = 2147483647;

/** The element counts a unary kernel's run() requires of its input and output. */
export interface Sizes {
  inputSize: number;
  outputSize: number;
}

/**
 * XNNPACK refuses requantization scales of 256 and more. Any positive scale below gives a
 * well-defined result: under 2^-32 every output is the zero point (|acc| <= 2^31), with
 * or without flushing subnormals to zero, and per-channel models can have such channels.
 */
export const MAX_SCALE = 256;

/**
 * ADD (ARITHMETIC.md): ratios in [2^-10, 2^8) give shift = 20 - exponent in 13..30 and
 * multipliers up to 2^21 (the larger one rounds up to 2^21 when its ratio is just below a
 * power of two). Within these, |ma * (a - za) + mb * (b - zb)| + 2^(shift - 1) is at most
 * 2^22 * 255 + 2^29 < 2^31: every sum, in any order, fits int32.
 */
const ADD_MIN_SHIFT = 13;
const ADD_MAX_SHIFT = 30;
const ADD_MAX_MULTIPLIER = 2 ** 21;

function describe(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  return typeof v === 'number' ? String(v) : `${typeof v} ${String(v)}`;
}

function integer(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  }
  return v;
}

export function positiveInt(op: string, name: string, v: unknown): number {
  const n = integer(op, name, v);
  if (n < 1 || n > INT32_MAX) throw new RangeError(`${op}: ${name} must be a positive integer, got ${n}`);
  return n;
}

export function nonNegativeInt(op: string, name: string, v: unknown): number {
  const n = integer(op, name, v);
  if (n < 0 || n > INT32_MAX) throw new RangeError(`${op}: ${name} must be an integer >= 0, got ${n}`);
  return n;
}

/** An integer in lo..hi; `range` is how the message spells the bounds. */
function inRange(op: string, name: string, v: unknown, lo: number, hi: number, range = `${lo}..${hi}`): number {
  const n = integer(op, name, v);
  if (n < lo || n > hi) throw new RangeError(`${op}: ${name} must be in ${range}, got ${n}`);
  return n;
}

export function uint8Value(op: string, name: string, v: unknown): number {
  return inRange(op, name, v, 0, 255);
}

export function clampBounds(op: string, prefix: string, min: unknown, max: unknown): void {
  const lo = uint8Value(op, `${prefix}min`, min);
  const hi = uint8Value(op, `${prefix}max`, max);
  if (lo > hi) throw new RangeError(`${op}: ${prefix}min (${lo}) must be <= ${prefix}max (${hi})`);
}

export function addMultiplier(op: string, name: string, v: unknown): number {
  return inRange(op, name, v, 0, ADD_MAX_MULTIPLIER, '0..2^21');
}

export function addShift(op: string, name: string, v: unknown): number {
  return inRange(op, name, v, ADD_MIN_SHIFT, ADD_MAX_SHIFT);
}

export function finitePositive(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, got ${describe(v)}`);
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${op}: ${name} must be finite and > 0, got ${v}`);
  return v;
}

function int32Array(op: string, name: string, v: unknown, length: number): Int32Array {
  if (!(v instanceof Int32Array)) throw new TypeError(`${op}: ${name} must be an Int32Array, got ${describe(v)}`);
  if (v.length !== length) throw new RangeError(`${op}: ${name} must have length ${length}, got ${v.length}`);
  return v;
}

export function weightArray(op: string, v: unknown, length: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${op}: weights must be a Uint8Array, got ${describe(v)}`);
  if (v.length !== length) throw new RangeError(`${op}: weights must have length ${length}, got ${v.length}`);
  return v;
}

/** Validates a per-channel (or, with channels = 1, per-tensor) fixed-point requantization. */
export function requantization(op: string, r: Requantization, channels: number): void {
  if (typeof r !== 'object' || r === null) throw new TypeError(`${op}: requant must be an object`);
  const m = int32Array(op, 'requant.multiplier', r.multiplier, channels);
  const s = int32Array(op, 'requant.shift', r.shift, channels);
  for (let c = 0; c < channels; c++) {
    inRange(op, `requant.multiplier[${c}]`, m[c], 0, INT32_MAX, '0..2^31-1');
    inRange(op, `requant.shift[${c}]`, s[c], MIN_SHIFT, MAX_SHIFT);
  }
  uint8Value(op, 'requant.outputZeroPoint', r.outputZeroPoint);
  clampBounds(op, 'requant.', r.min, r.max);
}

/** Validates the fp32 requantization of `channels` output channels. */
export function scaleRequantization(op: string, r: ScaleRequantization, channels: number): void {
  if (typeof r !== 'object' || r === null) throw new TypeError(`${op}: requant must be an object`);
  const s: unknown = r.scale;
  if (!(s instanceof Float32Array)) throw new TypeError(`${op}: requant.scale must be a Float32Array, got ${describe(s)}`);
  if (s.length !== channels) throw new RangeError(`${op}: requant.scale must have length ${channels}, got ${s.length}`);
  for (let c = 0; c < channels; c++) {
    if (!(s[c] > 0 && s[c] < MAX_SCALE)) {
      throw new RangeError(`${op}: requant.scale[${c}] must be > 0 and < ${MAX_SCALE}, got ${s[c]}`);
    }
  }
  uint8Value(op, 'requant.outputZeroPoint', r.outputZeroPoint);
  clampBounds(op, 'requant.', r.min, r.max);
}

/** The number of elements of a tensor with these dims, refused when indices would leave int32. */
export function elementCount(op: string, name: string, ...dims: number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  if (n > INT32_MAX) throw new RangeError(`${op}: ${name} has ${n} elements, more than 2^31-1`);
  return n;
}

/** run()'s check: a typed array of the right kind with room for `required` elements. */
export function buffer<T extends ArrayBufferView & { length: number }>(
  op: string,
  name: string,
  v: unknown,
  kind: new (n: number) => T,
  required: number,
): asserts v is T {
  if (!(v instanceof kind)) throw new TypeError(`${op}: ${name} must be a ${kind.name}, got ${describe(v)}`);
  if (v.length < required) throw new RangeError(`${op}: ${name} needs at least ${required} elements, got ${v.length}`);
}

export function paramsObject(op: string, p: unknown): void {
  if (typeof p !== 'object' || p === null) throw new TypeError(`${op}: params must be an object, got ${describe(p)}`);
}

/** Per-output-channel weight zero points (uint8 domain) and int32 biases. */
export function channelArrays(op: string, weightZeroPoint: unknown, bias: unknown, channels: number): void {
  const zw = int32Array(op, 'weightZeroPoint', weightZeroPoint, channels);
  for (let c = 0; c < channels; c++) uint8Value(op, `weightZeroPoint[${c}]`, zw[c]);
  int32Array(op, 'bias', bias, channels);
}
