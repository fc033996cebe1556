// Builds small multi-operator models tensor by tensor (the MobileNet V3 operators, a V3
// bottleneck), for tests that run them on our engine and on TensorFlow Lite. The product
// never writes models; this is test support only.

import { encodeModel, TensorType, type OptionField, type TensorSpec } from './model-builder.js';

/** Builtin operator codes, from TFLite's schema. */
export const Op = {
  ADD: 0, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, LOGISTIC: 14, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22,
  RESIZE_BILINEAR: 23, MEAN: 40, SPLIT: 49, ARG_MAX: 56, RESIZE_NEAREST_NEIGHBOR: 97, HARD_SWISH: 117,
} as const;

/** BuiltinOptions type ids, from TFLite's schema. */
export const Options = {
  Conv2D: 1, DepthwiseConv2D: 2, Add: 11, ResizeBilinear: 15, Mul: 21, Reducer: 27, Split: 35, ArgMax: 40,
  ResizeNearestNeighbor: 74, HardSwish: 91,
} as const;

export type ActivationType = 'uint8' | 'int8';

export interface Quant {
  scale: number;
  /** In the tensor's own type (int8: -128..127). */
  zeroPoint: number;
}

export class GraphBuilder {
  private readonly tensors: TensorSpec[] = [];
  private readonly buffers: { data?: Uint8Array }[] = [{}];
  private readonly codes: number[] = [];
  private readonly operators: { opcode_index: number; inputs: number[]; outputs: number[]; builtin_options_type?: number; builtin_options?: OptionField[] }[] = [];

  /** A tensor computed at run time (an input or an operator's output). */
  activation(shape: number[], type: ActivationType | 'int32' | 'int64', q?: Quant): number {
    this.tensors.push({
      name: `t${this.tensors.length}`, shape, type: TensorType[type], buffer: 0,
      quantization: q ? { scale: [q.scale], zero_point: [q.zeroPoint] } : undefined,
    });
    return this.tensors.length - 1;
  }

  /** A constant tensor; per-channel quantization when `scales` has more than one entry. */
  constant(shape: number[], type: 'uint8' | 'int8' | 'int32', data: Uint8Array, scales?: number[], zeroPoints?: number[], axis = 0): number {
    this.buffers.push({ data });
    this.tensors.push({
      name: `c${this.tensors.length}`, shape, type: TensorType[type], buffer: this.buffers.length - 1,
      quantization: scales ? { scale: scales, zero_point: zeroPoints ?? scales.map(() => 0), quantized_dimension: axis } : undefined,
    });
    return this.tensors.length - 1;
  }

  int32s(values: number[], shape = [values.length]): number {
    return this.constant(shape, 'int32', new Uint8Array(new Int32Array(values).buffer));
  }

  op(code: number, inputs: number[], outputs: number[], options?: { type: number; fields: OptionField[] }): void {
    let index = this.codes.indexOf(code);
    if (index < 0) {
      this.codes.push(code);
      index = this.codes.length - 1;
    }
    this.operators.push({
      opcode_index: index, inputs, outputs,
      ...(options ? { builtin_options_type: options.type, builtin_options: options.fields } : {}),
    });
  }

  encode(inputs: number[], outputs: number[]): Uint8Array {
    return encodeModel({
      version: 3,
      operator_codes: this.codes.map((c) => ({ deprecated_builtin_code: Math.min(c, 127), builtin_code: c })),
      buffers: this.buffers,
      subgraphs: [{ tensors: this.tensors, inputs, outputs, operators: this.operators }],
    });
  }
}
