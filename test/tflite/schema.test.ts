// The hand-written schema tables against facts from TensorFlow's published schema.fbs.
// The field ids themselves are checked end to end: test/support/model-builder.ts writes them from the
// schema independently, and the shipped models decode to consistent values.

import { describe, expect, it } from 'vitest';
import type { TensorTypeName } from '../../kernels/tflite/model-types.js';
import {
  BUILTIN_OPERATORS, BuiltinOptions, builtinOperatorName, builtinOptionsName, TENSOR_TYPES,
} from '../../kernels/tflite/schema.js';

describe('schema tables', () => {
  it('numbers builtin operators as BuiltinOperator does', () => {
    const codes: Record<string, number> = {
      ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEPTH_TO_SPACE: 5,
      DEQUANTIZE: 6, FULLY_CONNECTED: 9, LOGISTIC: 14, MAX_POOL_2D: 17, RESHAPE: 22, SOFTMAX: 25,
      CUSTOM: 32, PAD: 34, MEAN: 40, SQUEEZE: 43, HARD_SWISH: 117, QUANTIZE: 114, BATCH_MATMUL: 126,
      PLACEHOLDER_FOR_GREATER_OP_CODES: 127, CUMSUM: 128, GELU: 150, RIGHT_SHIFT: 161,
      STABLEHLO_LOGISTIC: 162, STABLEHLO_COMPOSITE: 206, COMPLEX: 207,
      MUL: 18, RELU: 19, RELU6: 21, RESIZE_BILINEAR: 23, SPLIT: 49, ARG_MAX: 56, RESIZE_NEAREST_NEIGHBOR: 97,
    };
    for (const [name, code] of Object.entries(codes)) expect(BUILTIN_OPERATORS[code], name).toBe(name);
    expect(BUILTIN_OPERATORS.length).toBeGreaterThan(160);
    expect(new Set(BUILTIN_OPERATORS).size).toBe(BUILTIN_OPERATORS.length);
    expect(builtinOperatorName(3)).toBe('CONV_2D');
    expect(builtinOperatorName(999)).toBe('BUILTIN_999');
  });

  it('numbers BuiltinOptions union members as the union declares them', () => {
    expect(BuiltinOptions).toEqual({
      Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, FullyConnectedOptions: 8,
      SoftmaxOptions: 9, ConcatenationOptions: 10, AddOptions: 11, ReshapeOptions: 17, ReducerOptions: 27, SqueezeOptions: 30,
      ResizeBilinearOptions: 15, MulOptions: 21, ResizeNearestNeighborOptions: 74,
    });
    for (const [name, type] of Object.entries(BuiltinOptions)) expect(builtinOptionsName(type)).toBe(name);
    expect(builtinOptionsName(89)).toBe('QuantizeOptions');
    expect(builtinOptionsName(126)).toBe('RightShiftOptions');
    expect(builtinOptionsName(127)).toBe('BuiltinOptions type 127');
  });

  it('names tensor types in TensorType order', () => {
    const order: TensorTypeName[] = [
      'float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8',
      'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4',
    ];
    expect(TENSOR_TYPES.map((t) => t.name)).toEqual(order);
    expect(TENSOR_TYPES[9]).toEqual({ name: 'int8', bytes: 1 });
    expect(TENSOR_TYPES[17]).toEqual({ name: 'int4', bytes: 0.5 });
  });
});
