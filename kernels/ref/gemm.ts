// Pointwise (1x1) convolution and fully connected: the packed GEMM over `rows` rows.

import type { GemmParams, UnaryKernel } from '../kernel-set.js';
import { PackedGemm } from './packed-gemm.js';
import * as v from './validate.js';

const OP = 'gemm';

export function validateGemm(p: GemmParams, weights: Uint8Array): v.Sizes {
  v.paramsObject(OP, p);
  const rows = v.positiveInt(OP, 'rows', p.rows);
  const inputC = v.positiveInt(OP, 'inputC', p.inputC);
  const outputC = v.positiveInt(OP, 'outputC', p.outputC);
  v.uint8Value(OP, 'inputZeroPoint', p.inputZeroPoint);
  v.channelArrays(OP, p.weightZeroPoint, p.bias, outputC);
  v.scaleRequantization(OP, p.requant, outputC);
  v.weightArray(OP, weights, v.elementCount(OP, 'weights', outputC, inputC));
  return { inputSize: v.elementCount(OP, 'input', rows, inputC), outputSize: v.elementCount(OP, 'output', rows, outputC) };
}

export function createGemm(p: GemmParams, weights: Uint8Array): UnaryKernel {
  const { inputSize, outputSize } = validateGemm(p, weights);
  const { rows } = p;
  const gemm = new PackedGemm(p, weights);

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      gemm.run(input, 0, rows, output, 0);
    },
  };
}
