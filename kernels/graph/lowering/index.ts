import type { Model, Operator } from '../../tflite/model-types.js';
import type { Lowered } from '../steps.js';
import { LoweringContext } from './context.js';
import { lowerConv2D, lowerDepthwise, lowerFullyConnected } from './convolution.js';
import { lowerConcatenation, lowerDetectionPostprocess, lowerLogistic } from './detection.js';
import { lowerAdd, lowerDequantize, lowerQuantize, lowerSoftmax } from './elementwise.js';
import { lowerAveragePool, lowerMean } from './pooling.js';
import { lowerPad, lowerReshape } from './shape-ops.js';

const lowerings: Record<string, (ctx: LoweringContext) => Lowered> = {
  CONV_2D: lowerConv2D,
  DEPTHWISE_CONV_2D: lowerDepthwise,
  FULLY_CONNECTED: lowerFullyConnected,
  AVERAGE_POOL_2D: lowerAveragePool,
  MEAN: lowerMean,
  ADD: lowerAdd,
  SOFTMAX: lowerSoftmax,
  QUANTIZE: lowerQuantize,
  DEQUANTIZE: lowerDequantize,
  RESHAPE: lowerReshape,
  SQUEEZE: lowerReshape,
  PAD: lowerPad,
  CONCATENATION: lowerConcatenation,
  LOGISTIC: lowerLogistic,
  'CUSTOM:TFLite_Detection_PostProcess': lowerDetectionPostprocess,
};

export const supportedOperators: readonly string[] = Object.keys(lowerings);

export function lowerOperator(model: Model, op: Operator): Lowered {
  const ctx = new LoweringContext(model, op);
  const lower = lowerings[op.name];
  if (!lower) {
    ctx.fail(`operator ${op.name} is not supported (supported: ${supportedOperators.join(', ')})`);
  }
  return lower(ctx);
}
