// Validation of the fields ConvParams and DepthwiseParams share.

import type { ConvParams } from '../kernel-set.js';
import * as v from './validate.js';

export function validateConvParams(op: string, p: ConvParams): v.Sizes {
  v.paramsObject(op, p);
  for (const name of ['inputH', 'inputW', 'inputC', 'outputH', 'outputW', 'outputC',
    'kernelH', 'kernelW', 'strideH', 'strideW'] as const) {
    v.positiveInt(op, name, p[name]);
  }
  v.nonNegativeInt(op, 'padTop', p.padTop);
  v.nonNegativeInt(op, 'padLeft', p.padLeft);
  v.uint8Value(op, 'inputZeroPoint', p.inputZeroPoint);
  v.channelArrays(op, p.weightZeroPoint, p.bias, p.outputC);
  v.scaleRequantization(op, p.requant, p.outputC);
  // The last window's far edge must stay an int32 index too.
  v.elementCount(op, 'padded input rows', (p.outputH - 1) * p.strideH + p.kernelH + p.padTop, 1);
  v.elementCount(op, 'padded input columns', (p.outputW - 1) * p.strideW + p.kernelW + p.padLeft, 1);
  return {
    inputSize: v.elementCount(op, 'input', p.inputH, p.inputW, p.inputC),
    outputSize: v.elementCount(op, 'output', p.outputH, p.outputW, p.outputC),
  };
}

/** The first kernel index whose tap, from window origin `origin`, lands at or after 0. */
export function tapLo(origin: number): number {
  return origin < 0 ? -origin : 0;
}

/** One past the last kernel index whose tap lands before `size`; never below tapLo. */
export function tapHi(origin: number, kernel: number, size: number): number {
  const hi = origin + kernel > size ? size - origin : kernel;
  const lo = tapLo(origin);
  return hi > lo ? hi : lo;
}
