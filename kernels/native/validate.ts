// Parameter checks for the native factories, made of the reference kernels' checks so
// that both engines refuse the same arguments with the same messages. C then sees only
// values it can trust (it re-checks sizes anyway, and reports instead of crashing).

import type {
  AddParams, AveragePoolParams, ConvParams, DepthwiseParams, GemmParams, MeanParams, PadParams,
  QuantizeParams, RequantizeParams, SoftmaxParams, DequantizeParams,
} from '../kernel-set.js';
import { validateConvParams, type ConvSizes } from '../ref/conv-geometry.js';
import * as v from '../ref/validate.js';

export interface Sizes {
  inputSize: number;
  outputSize: number;
}

export function gemm(p: GemmParams, weights: Uint8Array): Sizes {
  const op = 'gemm';
  v.paramsObject(op, p);
  const rows = v.positiveInt(op, 'rows', p.rows);
  const inputC = v.positiveInt(op, 'inputC', p.inputC);
  const outputC = v.positiveInt(op, 'outputC', p.outputC);
  v.uint8Value(op, 'inputZeroPoint', p.inputZeroPoint);
  v.channelArrays(op, p.weightZeroPoint, p.bias, outputC);
  v.scaleRequantization(op, p.requant, outputC);
  v.weightArray(op, weights, v.elementCount(op, 'weights', outputC, inputC));
  return { inputSize: v.elementCount(op, 'input', rows, inputC), outputSize: v.elementCount(op, 'output', rows, outputC) };
}

export function conv(p: ConvParams, weights: Uint8Array): ConvSizes {
  const sizes = validateConvParams('conv', p);
  v.weightArray('conv', weights, v.elementCount('conv', 'weights', p.outputC, p.kernelH * p.kernelW * p.inputC));
  return sizes;
}

export function depthwise(p: DepthwiseParams, weights: Uint8Array): ConvSizes {
  const op = 'depthwise';
  const sizes = validateConvParams(op, p);
  const m = v.positiveInt(op, 'depthMultiplier', p.depthMultiplier);
  if (p.outputC !== p.inputC * m) {
    throw new RangeError(`${op}: outputC (${p.outputC}) must equal inputC (${p.inputC}) * depthMultiplier (${m})`);
  }
  v.weightArray(op, weights, v.elementCount(op, 'weights', p.kernelH * p.kernelW, p.outputC));
  return sizes;
}

export function averagePool(p: AveragePoolParams): Sizes {
  const op = 'averagePool';
  v.paramsObject(op, p);
  for (const name of ['inputH', 'inputW', 'channels', 'outputH', 'outputW',
    'filterH', 'filterW', 'strideH', 'strideW'] as const) {
    v.positiveInt(op, name, p[name]);
  }
  const padTop = v.nonNegativeInt(op, 'padTop', p.padTop);
  const padLeft = v.nonNegativeInt(op, 'padLeft', p.padLeft);
  v.uint8Value(op, 'zeroPoint', p.zeroPoint);
  v.clampBounds(op, '', p.min, p.max);
  if (padTop >= p.filterH || (p.outputH - 1) * p.strideH - padTop >= p.inputH) {
    throw new RangeError(`${op}: padTop/outputH/strideH leave a window with no input row`);
  }
  if (padLeft >= p.filterW || (p.outputW - 1) * p.strideW - padLeft >= p.inputW) {
    throw new RangeError(`${op}: padLeft/outputW/strideW leave a window with no input column`);
  }
  v.elementCount(op, 'filter', p.filterH, p.filterW);
  return {
    inputSize: v.elementCount(op, 'input', p.inputH, p.inputW, p.channels),
    outputSize: v.elementCount(op, 'output', p.outputH, p.outputW, p.channels),
  };
}

/** Largest H * W whose centred sum (|x - zx| <= 255 per element) cannot leave int32. */
const MAX_MEAN_PIXELS = Math.floor(2147483647 / 255);

export function mean(p: MeanParams): Sizes {
  const op = 'mean';
  v.paramsObject(op, p);
  const inputH = v.positiveInt(op, 'inputH', p.inputH);
  const inputW = v.positiveInt(op, 'inputW', p.inputW);
  const channels = v.positiveInt(op, 'channels', p.channels);
  v.uint8Value(op, 'inputZeroPoint', p.inputZeroPoint);
  v.requantization(op, p.requant, 1);
  if (inputH * inputW > MAX_MEAN_PIXELS) {
    throw new RangeError(`${op}: inputH * inputW must be at most ${MAX_MEAN_PIXELS}, got ${inputH * inputW}`);
  }
  return { inputSize: v.elementCount(op, 'input', inputH, inputW, channels), outputSize: channels };
}

export function add(p: AddParams): number {
  const op = 'add';
  v.paramsObject(op, p);
  const size = v.positiveInt(op, 'size', p.size);
  v.uint8Value(op, 'inputZeroPointA', p.inputZeroPointA);
  v.uint8Value(op, 'inputZeroPointB', p.inputZeroPointB);
  v.addMultiplier(op, 'multiplierA', p.multiplierA);
  v.addMultiplier(op, 'multiplierB', p.multiplierB);
  v.addShift(op, 'shift', p.shift);
  v.uint8Value(op, 'outputZeroPoint', p.outputZeroPoint);
  v.clampBounds(op, '', p.min, p.max);
  return size;
}

export function softmax(p: SoftmaxParams): number {
  const op = 'softmax';
  v.paramsObject(op, p);
  const rows = v.positiveInt(op, 'rows', p.rows);
  const channels = v.positiveInt(op, 'channels', p.channels);
  v.uint8Value(op, 'outputZeroPoint', p.outputZeroPoint);
  v.clampBounds(op, '', p.min, p.max);
  v.finitePositive(op, 'inverseOutputScale', p.inverseOutputScale);
  const t: unknown = p.expTable;
  if (!(t instanceof Float64Array)) throw new TypeError(`${op}: expTable must be a Float64Array`);
  if (t.length !== 256) throw new RangeError(`${op}: expTable must have length 256, got ${t.length}`);
  for (let d = 0; d < 256; d++) {
    if (!(t[d] >= 0) || !Number.isFinite(t[d])) {
      throw new RangeError(`${op}: expTable[${d}] must be finite and >= 0, got ${t[d]}`);
    }
  }
  if (!(t[0] > 0)) throw new RangeError(`${op}: expTable[0] must be > 0, got ${t[0]}`);
  return v.elementCount(op, 'input', rows, channels);
}

export function requantize(p: RequantizeParams): number {
  const op = 'requantize';
  v.paramsObject(op, p);
  const size = v.positiveInt(op, 'size', p.size);
  v.uint8Value(op, 'inputZeroPoint', p.inputZeroPoint);
  v.requantization(op, p.requant, 1);
  return size;
}

export function pad(p: PadParams): Sizes {
  const op = 'pad';
  v.paramsObject(op, p);
  const inputH = v.positiveInt(op, 'inputH', p.inputH);
  const inputW = v.positiveInt(op, 'inputW', p.inputW);
  const inputC = v.positiveInt(op, 'inputC', p.inputC);
  const top = v.nonNegativeInt(op, 'padTop', p.padTop);
  const bottom = v.nonNegativeInt(op, 'padBottom', p.padBottom);
  const left = v.nonNegativeInt(op, 'padLeft', p.padLeft);
  const right = v.nonNegativeInt(op, 'padRight', p.padRight);
  const before = v.nonNegativeInt(op, 'padChannelsBefore', p.padChannelsBefore);
  const after = v.nonNegativeInt(op, 'padChannelsAfter', p.padChannelsAfter);
  v.uint8Value(op, 'value', p.value);
  return {
    inputSize: v.elementCount(op, 'input', inputH, inputW, inputC),
    outputSize: v.elementCount(op, 'output', inputH + top + bottom, inputW + left + right, inputC + before + after),
  };
}

export function quantize(p: QuantizeParams): number {
  const op = 'quantize';
  v.paramsObject(op, p);
  const size = v.positiveInt(op, 'size', p.size);
  v.finitePositive(op, 'scale', p.scale);
  v.uint8Value(op, 'zeroPoint', p.zeroPoint);
  v.clampBounds(op, '', p.min, p.max);
  return size;
}

export function dequantize(p: DequantizeParams): number {
  const op = 'dequantize';
  v.paramsObject(op, p);
  const size = v.positiveInt(op, 'size', p.size);
  v.finitePositive(op, 'scale', p.scale);
  v.uint8Value(op, 'zeroPoint', p.zeroPoint);
  return size;
}

