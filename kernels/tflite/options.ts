// Builtin options of the operators the runtime executes. The options table is chosen by
// the operator code, and the union's type byte must agree with it. An absent table
// reads as every field at its schema default, as FlatBuffers defines it; values a
// kernel cannot run with (a stride of 0, an unknown activation) are rejected here so
// that the planner never divides by a corrupt number.

import type { Activation, OperatorOptions, Padding } from './model-types.js';
import type { FlatReader, Table } from './flatbuffer-reader.js';
import {
  ACTIVATIONS, AddOptionsFields, BuiltinOperator, BuiltinOptions, builtinOptionsName, ConcatenationOptionsFields,
  Conv2DOptionsFields, DepthwiseConv2DOptionsFields, type Field, FullyConnectedOptionsFields, MulOptionsFields,
  OperatorFields, PADDINGS, Pool2DOptionsFields, ReducerOptionsFields, ReshapeOptionsFields, ResizeBilinearOptionsFields,
  ResizeNearestNeighborOptionsFields, SoftmaxOptionsFields, SqueezeOptionsFields, WEIGHTS_FORMATS,
} from './schema.js';

type OptionsTable = keyof typeof BuiltinOptions;

const OPTIONS_OF: ReadonlyMap<number, OptionsTable> = new Map<number, OptionsTable>([
  [BuiltinOperator.CONV_2D, 'Conv2DOptions'],
  [BuiltinOperator.DEPTHWISE_CONV_2D, 'DepthwiseConv2DOptions'],
  [BuiltinOperator.AVERAGE_POOL_2D, 'Pool2DOptions'],
  [BuiltinOperator.MAX_POOL_2D, 'Pool2DOptions'],
  [BuiltinOperator.L2_POOL_2D, 'Pool2DOptions'],
  [BuiltinOperator.FULLY_CONNECTED, 'FullyConnectedOptions'],
  [BuiltinOperator.SOFTMAX, 'SoftmaxOptions'],
  [BuiltinOperator.ADD, 'AddOptions'],
  [BuiltinOperator.RESHAPE, 'ReshapeOptions'],
  [BuiltinOperator.SQUEEZE, 'SqueezeOptions'],
  [BuiltinOperator.MEAN, 'ReducerOptions'],
  [BuiltinOperator.CONCATENATION, 'ConcatenationOptions'],
  [BuiltinOperator.SUM, 'ReducerOptions'],
  [BuiltinOperator.REDUCE_PROD, 'ReducerOptions'],
  [BuiltinOperator.REDUCE_MAX, 'ReducerOptions'],
  [BuiltinOperator.REDUCE_MIN, 'ReducerOptions'],
  [BuiltinOperator.REDUCE_ANY, 'ReducerOptions'],
  [BuiltinOperator.REDUCE_ALL, 'ReducerOptions'],
  [BuiltinOperator.MUL, 'MulOptions'],
  [BuiltinOperator.RESIZE_BILINEAR, 'ResizeBilinearOptions'],
  [BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, 'ResizeNearestNeighborOptions'],
]);

/**
 * Decodes the operator's builtin options. `op` is the Operator table; `where` names the
 * operator for messages ("operator 3 CONV_2D").
 */
export function readOptions(op: Table, code: number, where: string): OperatorOptions {
  const expected = OPTIONS_OF.get(code);
  if (expected === undefined) return { kind: 'none' };
  const type = op.uint8(OperatorFields.builtin_options_type);
  if (type !== 0 && type !== BuiltinOptions[expected]) {
    op.fail(OperatorFields.builtin_options_type,
      `${builtinOptionsName(type)} given where ${expected} belong`);
  }
  const options = type === 0 ? null : op.table(OperatorFields.builtin_options, `${where} ${expected}`);
  const fields = new Fields(op.reader, options, `${where} ${expected}`);
  switch (expected) {
    case 'Conv2DOptions': {
      const f = Conv2DOptionsFields;
      return {
        kind: 'conv2d',
        padding: fields.padding(f.padding),
        strideW: fields.positive(f.stride_w, 0),
        strideH: fields.positive(f.stride_h, 0),
        activation: fields.activation(f.fused_activation_function),
        dilationW: fields.positive(f.dilation_w_factor, 1),
        dilationH: fields.positive(f.dilation_h_factor, 1),
      };
    }
    case 'DepthwiseConv2DOptions': {
      const f = DepthwiseConv2DOptionsFields;
      return {
        kind: 'depthwise',
        padding: fields.padding(f.padding),
        strideW: fields.positive(f.stride_w, 0),
        strideH: fields.positive(f.stride_h, 0),
        // Redundant with the weights' shape, and TFLite 2.x ignores it, so a 0 is not
        // an error here; the planner derives the multiplier from the shapes.
        depthMultiplier: fields.int(f.depth_multiplier, 0),
        activation: fields.activation(f.fused_activation_function),
        dilationW: fields.positive(f.dilation_w_factor, 1),
        dilationH: fields.positive(f.dilation_h_factor, 1),
      };
    }
    case 'Pool2DOptions': {
      const f = Pool2DOptionsFields;
      return {
        kind: 'pool2d',
        padding: fields.padding(f.padding),
        strideW: fields.positive(f.stride_w, 0),
        strideH: fields.positive(f.stride_h, 0),
        filterWidth: fields.positive(f.filter_width, 0),
        filterHeight: fields.positive(f.filter_height, 0),
        activation: fields.activation(f.fused_activation_function),
      };
    }
    case 'FullyConnectedOptions': {
      const f = FullyConnectedOptionsFields;
      return {
        kind: 'fullyConnected',
        activation: fields.activation(f.fused_activation_function),
        weightsFormat: fields.enumName(f.weights_format, WEIGHTS_FORMATS),
        keepNumDims: fields.bool(f.keep_num_dims),
      };
    }
    case 'SoftmaxOptions':
      return { kind: 'softmax', beta: fields.beta(SoftmaxOptionsFields.beta) };
    case 'AddOptions':
      return { kind: 'add', activation: fields.activation(AddOptionsFields.fused_activation_function) };
    case 'ReshapeOptions':
      return { kind: 'reshape', newShape: options?.int32s(ReshapeOptionsFields.new_shape) ?? null };
    case 'SqueezeOptions':
      return { kind: 'squeeze', squeezeDims: options?.int32s(SqueezeOptionsFields.squeeze_dims) ?? [] };
    case 'ReducerOptions':
      return { kind: 'reducer', keepDims: fields.bool(ReducerOptionsFields.keep_dims) };
    case 'ConcatenationOptions':
      return {
        kind: 'concatenation',
        axis: fields.int(ConcatenationOptionsFields.axis, 0),
        activation: fields.activation(ConcatenationOptionsFields.fused_activation_function),
      };
    case 'MulOptions':
      return { kind: 'mul', activation: fields.activation(MulOptionsFields.fused_activation_function) };
    case 'ResizeBilinearOptions': {
      const f = ResizeBilinearOptionsFields;
      return { kind: 'resize', alignCorners: fields.bool(f.align_corners), halfPixelCenters: fields.bool(f.half_pixel_centers) };
    }
    case 'ResizeNearestNeighborOptions': {
      const f = ResizeNearestNeighborOptionsFields;
      return { kind: 'resize', alignCorners: fields.bool(f.align_corners), halfPixelCenters: fields.bool(f.half_pixel_centers) };
    }
  }
}

/** Reads an options table that may be absent, checking each value it hands out. */
class Fields {
  constructor(
    private readonly reader: FlatReader,
    private readonly table: Table | null,
    private readonly where: string,
  ) {}

  private fail(field: Field, what: string): never {
    this.reader.fail(`${this.where}: ${field.name}`, this.table ? what : `${what} (no options given)`);
  }

  int(field: Field, fallback: number): number {
    return this.table ? this.table.int32(field, fallback) : fallback;
  }

  bool(field: Field): boolean {
    return this.table ? this.table.bool(field) : false;
  }

  positive(field: Field, fallback: number): number {
    const value = this.int(field, fallback);
    if (value < 1) this.fail(field, `${value} is not a valid value (must be at least 1)`);
    return value;
  }

  enumName<const T extends readonly string[]>(field: Field, names: T): T[number] {
    const value = this.table ? this.table.int8(field) : 0;
    const name = names[value];
    if (name === undefined) this.fail(field, `unknown value ${value}`);
    return name;
  }

  padding(field: Field): Padding {
    return this.enumName(field, PADDINGS);
  }

  activation(field: Field): Activation {
    return this.enumName(field, ACTIVATIONS);
  }

  beta(field: Field): number {
    const value = this.table ? this.table.float32(field) : 0;
    if (!Number.isFinite(value)) this.fail(field, `${value} is not a finite number`);
    return value;
  }
}
