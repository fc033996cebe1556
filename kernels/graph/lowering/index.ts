import type { Model, Operator } from '../../tflite/model-types.js';
import type { Lowered } from '../steps.js';
import { lowerHardSwish, lowerRelu, lowerRelu6 } from './activations.js';
import { lowerArgMax } from './arg-max.js';
import { LoweringContext } from './context.js';
import { lowerConv2D, lowerDepthwise, lowerFullyConnected } from './convolution.js';
import { lowerConcatenation, lowerDetectionPostprocess, lowerLogistic } from './detection.js';
import { lowerAdd, lowerDequantize, lowerQuantize, lowerSoftmax } from './elementwise.js';
import { lowerMul } from './mul.js';
import { lowerAveragePool, lowerMean } from './pooling.js';
import { lowerResizeBilinear, lowerResizeNearest } from './resize.js';
import { lowerPad, lowerReshape } from './shape-ops.js';
import { lowerSplit } from './split.js';

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
  // MobileNet V3 and the detection heads.
  HARD_SWISH: lowerHardSwish,
  MUL: lowerMul,
  RELU: lowerRelu,
  RELU6: lowerRelu6,
  SPLIT: lowerSplit,
  RESIZE_NEAREST_NEIGHBOR: lowerResizeNearest,
  RESIZE_BILINEAR: lowerResizeBilinear,
  ARG_MAX: lowerArgMax,
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
