// The TypeScript reference kernels: the executable form of ARITHMETIC.md, and the
// fallback when no native path loads.

import type { KernelSet } from '../kernel-set.js';
import { createAdd } from './add.js';
import { createArgMax } from './arg-max.js';
import { createAveragePool } from './average-pool.js';
import { createConv } from './conv.js';
import { createDepthwise } from './depthwise.js';
import { createGemm } from './gemm.js';
import { createLookup } from './lookup.js';
import { createMean } from './mean.js';
import { createMul } from './mul.js';
import { createPad } from './pad.js';
import { createDequantize, createQuantize } from './quantize.js';
import { createRequantize } from './requantize-kernel.js';
import { createResizeBilinear, createResizeNearest } from './resize.js';
import { createSlice } from './slice.js';
import { createSoftmax } from './softmax.js';
import { createConcatenation } from './concatenation.js';
import { createDetectionPostprocess } from './detection-postprocess.js';
import { createLogistic } from './logistic.js';

export const refKernels: KernelSet = Object.freeze({
  name: 'js',
  conv: createConv,
  depthwise: createDepthwise,
  gemm: createGemm,
  averagePool: createAveragePool,
  mean: createMean,
  add: createAdd,
  softmax: createSoftmax,
  requantize: createRequantize,
  pad: createPad,
  quantize: createQuantize,
  dequantize: createDequantize,
  concatenation: createConcatenation,
  logistic: createLogistic,
  detectionPostprocess: createDetectionPostprocess,
  lookup: createLookup,
  mul: createMul,
  resizeNearest: createResizeNearest,
  resizeBilinear: createResizeBilinear,
  slice: createSlice,
  argMax: createArgMax,
});
