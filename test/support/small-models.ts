// Small models with one property each that the shipped MobileNets lack: a given number of
// classes, an input that is not an image, an Edge TPU graph, no multiply-accumulates, or
// tensors with no elements. Built with model-builder.ts, so no model file is committed.

import { encodeModel, TensorType, type ModelSpec, type OptionField } from './model-builder.js';

const CONV_2D = 3;
const DEPTHWISE_CONV_2D = 4;
const FULLY_CONNECTED = 9;
const SOFTMAX = 25;
const CUSTOM = 32;

const int32Bytes = (values: number[]): Uint8Array => new Uint8Array(new Int32Array(values).buffer);

/** Conv2DOptions: padding VALID, stride 1x1, the given fused activation (0 none, 1 RELU). */
const conv2dOptions = (activation: number): OptionField[] => [[0, 'int8', 1], [1, 'int32', 1], [2, 'int32', 1], [3, 'int8', activation]];

/**
 * An image classifier with `classes` outputs: a 1x1 RGB input, one 1x1 convolution with
 * RELU, uint8 output [1, 1, 1, classes] in [0, 1). Class i's weights are positive when
 * `scored(i)`, negative otherwise, so on any image other than black the scored classes
 * score above 0 and every other class exactly 0.
 */
export function classifierModel(classes: number, scored: (index: number) => boolean = () => true): Uint8Array {
  const weights = new Uint8Array(classes * 3);
  for (let i = 0; i < classes; i++) {
    // Zero point 128: 128 + 40 + i % 50 is a weight of (40 + i % 50) * scale, so scored classes differ.
    const value = scored(i) ? 168 + (i % 50) : 60;
    weights.fill(value, i * 3, i * 3 + 3);
  }
  const spec: ModelSpec = {
    version: 3,
    description: `${classes} classes`,
    operator_codes: [{ deprecated_builtin_code: CONV_2D, builtin_code: CONV_2D }],
    buffers: [{}, { data: weights }, { data: int32Bytes(new Array(classes).fill(0)) }],
    subgraphs: [{
      tensors: [
        { name: 'image', type: TensorType.uint8, shape: [1, 1, 1, 3], buffer: 0, quantization: { scale: [1 / 255], zero_point: [0] } },
        { name: 'weights', type: TensorType.uint8, shape: [classes, 1, 1, 3], buffer: 1, quantization: { scale: [1 / 512], zero_point: [128] } },
        { name: 'bias', type: TensorType.int32, shape: [classes], buffer: 2, quantization: { scale: [1 / 255 / 512], zero_point: [0] } },
        { name: 'scores', type: TensorType.uint8, shape: [1, 1, 1, classes], buffer: 0, quantization: { scale: [1 / 256], zero_point: [0] } },
      ],
      inputs: [0],
      outputs: [3],
      operators: [{ opcode_index: 0, inputs: [0, 1, 2], outputs: [3], builtin_options_type: 1, builtin_options: conv2dOptions(1) }],
    }],
  };
  return encodeModel(spec);
}

/** A model the runtime can run whose input is a vector of 1024 values: FULLY_CONNECTED [1, 1024] -> [1, 10]. */
export function vectorInputModel(): Uint8Array {
  return encodeModel({
    version: 3,
    operator_codes: [{ deprecated_builtin_code: FULLY_CONNECTED, builtin_code: FULLY_CONNECTED }],
    buffers: [{}, { data: new Uint8Array(10 * 1024).fill(130) }, { data: int32Bytes(new Array(10).fill(0)) }],
    subgraphs: [{
      tensors: [
        { name: 'embedding', type: TensorType.uint8, shape: [1, 1024], buffer: 0, quantization: { scale: [1 / 255], zero_point: [0] } },
        { name: 'weights', type: TensorType.uint8, shape: [10, 1024], buffer: 1, quantization: { scale: [1 / 128], zero_point: [128] } },
        { name: 'bias', type: TensorType.int32, shape: [10], buffer: 2, quantization: { scale: [1 / 255 / 128], zero_point: [0] } },
        { name: 'scores', type: TensorType.uint8, shape: [1, 10], buffer: 0, quantization: { scale: [1 / 16], zero_point: [0] } },
      ],
      inputs: [0],
      outputs: [3],
      // FullyConnectedOptions: no fused activation.
      operators: [{ opcode_index: 0, inputs: [0, 1, 2], outputs: [3], builtin_options_type: 8, builtin_options: [[0, 'int8', 0]] }],
    }],
  });
}

/**
 * A model as the Edge TPU compiler leaves it: the whole graph is one edgetpu-custom-op
 * operator between the uint8 image and the scores.
 */
export function edgeTpuModel(): Uint8Array {
  return encodeModel({
    version: 3,
    operator_codes: [{ deprecated_builtin_code: CUSTOM, builtin_code: CUSTOM, custom_code: 'edgetpu-custom-op' }],
    buffers: [{}],
    subgraphs: [{
      tensors: [
        { name: 'image', type: TensorType.uint8, shape: [1, 8, 8, 3], buffer: 0, quantization: { scale: [1 / 128], zero_point: [128] } },
        { name: 'scores', type: TensorType.uint8, shape: [1, 10], buffer: 0, quantization: { scale: [1 / 256], zero_point: [0] } },
      ],
      inputs: [0],
      outputs: [1],
      operators: [{ opcode_index: 0, inputs: [0], outputs: [1] }],
    }],
  });
}

/** One SOFTMAX: a model that runs and has no multiply-accumulates at all. */
export function softmaxOnlyModel(): Uint8Array {
  return encodeModel({
    version: 3,
    operator_codes: [{ deprecated_builtin_code: SOFTMAX, builtin_code: SOFTMAX }],
    buffers: [{}],
    subgraphs: [{
      tensors: [
        { name: 'logits', type: TensorType.uint8, shape: [1, 10], buffer: 0, quantization: { scale: [0.1], zero_point: [128] } },
        { name: 'scores', type: TensorType.uint8, shape: [1, 10], buffer: 0, quantization: { scale: [1 / 256], zero_point: [0] } },
      ],
      inputs: [0],
      outputs: [1],
      operators: [{ opcode_index: 0, inputs: [0], outputs: [1], builtin_options_type: 9, builtin_options: [[0, 'float32', 1]] }],
    }],
  });
}

/** A depthwise 3x3 + pointwise 1x1 pair on a 0x0 image: every tensor between them has no elements. */
export function emptyPairModel(): Uint8Array {
  return encodeModel({
    version: 3,
    operator_codes: [
      { deprecated_builtin_code: DEPTHWISE_CONV_2D, builtin_code: DEPTHWISE_CONV_2D },
      { deprecated_builtin_code: CONV_2D, builtin_code: CONV_2D },
    ],
    buffers: [{}, { data: new Uint8Array(9 * 2).fill(130) }, { data: int32Bytes([0, 0]) }, { data: new Uint8Array(4 * 2).fill(130) }, { data: int32Bytes([0, 0, 0, 0]) }],
    subgraphs: [{
      tensors: [
        { name: 'image', type: TensorType.uint8, shape: [1, 0, 0, 2], buffer: 0, quantization: { scale: [1 / 255], zero_point: [0] } },
        { name: 'dw-weights', type: TensorType.uint8, shape: [1, 3, 3, 2], buffer: 1, quantization: { scale: [1 / 128], zero_point: [128] } },
        { name: 'dw-bias', type: TensorType.int32, shape: [2], buffer: 2, quantization: { scale: [1 / 255 / 128], zero_point: [0] } },
        { name: 'dw-out', type: TensorType.uint8, shape: [1, 0, 0, 2], buffer: 0, quantization: { scale: [1 / 64], zero_point: [0] } },
        { name: 'pw-weights', type: TensorType.uint8, shape: [4, 1, 1, 2], buffer: 3, quantization: { scale: [1 / 128], zero_point: [128] } },
        { name: 'pw-bias', type: TensorType.int32, shape: [4], buffer: 4, quantization: { scale: [1 / 64 / 128], zero_point: [0] } },
        { name: 'pw-out', type: TensorType.uint8, shape: [1, 0, 0, 4], buffer: 0, quantization: { scale: [1 / 32], zero_point: [0] } },
      ],
      inputs: [0],
      outputs: [6],
      operators: [
        // DepthwiseConv2DOptions: padding SAME, stride 1x1, depth multiplier 1, no activation.
        { opcode_index: 0, inputs: [0, 1, 2], outputs: [3], builtin_options_type: 2, builtin_options: [[0, 'int8', 0], [1, 'int32', 1], [2, 'int32', 1], [3, 'int32', 1], [4, 'int8', 0]] },
        { opcode_index: 1, inputs: [3, 4, 5], outputs: [6], builtin_options_type: 1, builtin_options: conv2dOptions(0) },
      ],
    }],
  });
}
