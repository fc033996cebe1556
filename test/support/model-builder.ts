// Writes TFLite flatbuffers from plain objects named after the schema's fields, so that
// a test can take a small valid model and break exactly one thing in it. The field ids
// are written out here from the published schema rather than taken from the reader's
// schema.ts, so that a wrong id in one is not hidden by the same wrong id in the other.

import { Builder } from 'flatbuffers';

export type OptionField =
  | [id: number, kind: 'int8' | 'int32' | 'float32' | 'bool', value: number]
  | [id: number, kind: 'int32s', value: number[]];

export interface QuantizationSpec {
  min?: number[];
  max?: number[];
  scale?: number[];
  zero_point?: (number | bigint)[];
  details_type?: number;
  quantized_dimension?: number;
}

export interface TensorSpec {
  shape?: number[];
  type?: number;
  buffer?: number;
  name?: string;
  quantization?: QuantizationSpec;
  is_variable?: boolean;
  /** Writes an (empty) SparsityParameters table. */
  sparse?: boolean;
}

export interface OperatorSpec {
  opcode_index?: number;
  inputs?: number[];
  outputs?: number[];
  builtin_options_type?: number;
  builtin_options?: OptionField[];
  /** A custom operator's options (a FlexBuffer for TFLite's own custom operators). */
  custom_options?: Uint8Array;
}

export interface OperatorCodeSpec {
  deprecated_builtin_code?: number;
  custom_code?: string;
  builtin_code?: number;
}

export interface SubGraphSpec {
  tensors?: TensorSpec[];
  inputs?: number[];
  outputs?: number[];
  operators?: OperatorSpec[];
  name?: string;
}

export interface BufferSpec {
  data?: Uint8Array;
  offset?: bigint;
  size?: bigint;
}

export interface ModelSpec {
  version?: number;
  operator_codes?: OperatorCodeSpec[];
  subgraphs?: SubGraphSpec[];
  description?: string;
  buffers?: BufferSpec[];
  metadata?: { name?: string; buffer?: number }[];
}

export const TensorType = { float32: 0, int32: 2, uint8: 3, int64: 4, int8: 9 } as const;

function int32s(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function float32s(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function int64s(b: Builder, values: readonly (number | bigint)[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function bytes(b: Builder, data: Uint8Array): number {
  b.startVector(1, data.length, 16);
  for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]);
  return b.endVector();
}

function offsets(b: Builder, items: readonly number[]): number {
  b.startVector(4, items.length, 4);
  for (let i = items.length - 1; i >= 0; i--) b.addOffset(items[i]);
  return b.endVector();
}

function optional<T>(value: T | undefined, write: (v: T) => number): number {
  return value === undefined ? 0 : write(value);
}

function quantization(b: Builder, q: QuantizationSpec): number {
  const min = optional(q.min, (v) => float32s(b, v));
  const max = optional(q.max, (v) => float32s(b, v));
  const scale = optional(q.scale, (v) => float32s(b, v));
  const zeroPoint = optional(q.zero_point, (v) => int64s(b, v));
  let details = 0;
  if (q.details_type) {
    b.startObject(1);
    details = b.endObject();
  }
  b.startObject(7);
  if (min) b.addFieldOffset(0, min, 0);
  if (max) b.addFieldOffset(1, max, 0);
  if (scale) b.addFieldOffset(2, scale, 0);
  if (zeroPoint) b.addFieldOffset(3, zeroPoint, 0);
  if (q.details_type) {
    b.addFieldInt8(4, q.details_type, 0);
    b.addFieldOffset(5, details, 0);
  }
  if (q.quantized_dimension !== undefined) b.addFieldInt32(6, q.quantized_dimension, 0);
  return b.endObject();
}

function tensor(b: Builder, t: TensorSpec): number {
  const shape = optional(t.shape, (v) => int32s(b, v));
  const name = optional(t.name, (v) => b.createString(v));
  const quant = optional(t.quantization, (v) => quantization(b, v));
  let sparsity = 0;
  if (t.sparse) {
    b.startObject(3);
    sparsity = b.endObject();
  }
  b.startObject(7);
  if (shape) b.addFieldOffset(0, shape, 0);
  if (t.type !== undefined) b.addFieldInt8(1, t.type, 0);
  if (t.buffer !== undefined) b.addFieldInt32(2, t.buffer, 0);
  if (name) b.addFieldOffset(3, name, 0);
  if (quant) b.addFieldOffset(4, quant, 0);
  if (t.is_variable !== undefined) b.addFieldInt8(5, t.is_variable ? 1 : 0, 0);
  if (sparsity) b.addFieldOffset(6, sparsity, 0);
  return b.endObject();
}

function options(b: Builder, fields: OptionField[]): number {
  const vectors = fields.map((f) => (f[1] === 'int32s' ? int32s(b, f[2]) : 0));
  b.startObject(Math.max(0, ...fields.map((f) => f[0] + 1)));
  fields.forEach((f, i) => {
    const [id, kind, value] = f;
    if (kind === 'int32s') b.addFieldOffset(id, vectors[i], 0);
    else if (kind === 'int32') b.addFieldInt32(id, value, 0);
    else if (kind === 'float32') b.addFieldFloat32(id, value, 0);
    else b.addFieldInt8(id, value, 0);
  });
  return b.endObject();
}

function operator(b: Builder, o: OperatorSpec): number {
  const inputs = optional(o.inputs, (v) => int32s(b, v));
  const outputs = optional(o.outputs, (v) => int32s(b, v));
  const opts = optional(o.builtin_options, (v) => options(b, v));
  const custom = optional(o.custom_options, (v) => bytes(b, v));
  b.startObject(6);
  if (o.opcode_index !== undefined) b.addFieldInt32(0, o.opcode_index, 0);
  if (inputs) b.addFieldOffset(1, inputs, 0);
  if (outputs) b.addFieldOffset(2, outputs, 0);
  if (o.builtin_options_type !== undefined) b.addFieldInt8(3, o.builtin_options_type, 0);
  if (opts) b.addFieldOffset(4, opts, 0);
  if (custom) b.addFieldOffset(5, custom, 0);
  return b.endObject();
}

function subgraph(b: Builder, s: SubGraphSpec): number {
  const tensors = optional(s.tensors, (v) => offsets(b, v.map((t) => tensor(b, t))));
  const inputs = optional(s.inputs, (v) => int32s(b, v));
  const outputs = optional(s.outputs, (v) => int32s(b, v));
  const operators = optional(s.operators, (v) => offsets(b, v.map((o) => operator(b, o))));
  const name = optional(s.name, (v) => b.createString(v));
  b.startObject(5);
  if (tensors) b.addFieldOffset(0, tensors, 0);
  if (inputs) b.addFieldOffset(1, inputs, 0);
  if (outputs) b.addFieldOffset(2, outputs, 0);
  if (operators) b.addFieldOffset(3, operators, 0);
  if (name) b.addFieldOffset(4, name, 0);
  return b.endObject();
}

function operatorCode(b: Builder, c: OperatorCodeSpec): number {
  const custom = optional(c.custom_code, (v) => b.createString(v));
  b.startObject(4);
  if (c.deprecated_builtin_code !== undefined) b.addFieldInt8(0, c.deprecated_builtin_code, 0);
  if (custom) b.addFieldOffset(1, custom, 0);
  if (c.builtin_code !== undefined) b.addFieldInt32(3, c.builtin_code, 0);
  return b.endObject();
}

function buffer(b: Builder, buf: BufferSpec): number {
  const data = optional(buf.data, (v) => bytes(b, v));
  b.startObject(3);
  if (data) b.addFieldOffset(0, data, 0);
  if (buf.offset !== undefined) b.addFieldInt64(1, buf.offset, 0n);
  if (buf.size !== undefined) b.addFieldInt64(2, buf.size, 0n);
  return b.endObject();
}

function metadata(b: Builder, m: { name?: string; buffer?: number }): number {
  const name = optional(m.name, (v) => b.createString(v));
  b.startObject(2);
  if (name) b.addFieldOffset(0, name, 0);
  if (m.buffer !== undefined) b.addFieldInt32(1, m.buffer, 0);
  return b.endObject();
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const b = new Builder(1024);
  // Write every field given, even one equal to the schema default.
  b.forceDefaults(true);
  const codes = optional(spec.operator_codes, (v) => offsets(b, v.map((c) => operatorCode(b, c))));
  const subgraphs = optional(spec.subgraphs, (v) => offsets(b, v.map((s) => subgraph(b, s))));
  const description = optional(spec.description, (v) => b.createString(v));
  const buffers = optional(spec.buffers, (v) => offsets(b, v.map((x) => buffer(b, x))));
  const meta = optional(spec.metadata, (v) => offsets(b, v.map((m) => metadata(b, m))));
  b.startObject(7);
  if (spec.version !== undefined) b.addFieldInt32(0, spec.version, 0);
  if (codes) b.addFieldOffset(1, codes, 0);
  if (subgraphs) b.addFieldOffset(2, subgraphs, 0);
  if (description) b.addFieldOffset(3, description, 0);
  if (buffers) b.addFieldOffset(4, buffers, 0);
  if (meta) b.addFieldOffset(6, meta, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array().slice();
}

/**
 * A valid one-operator model: uint8 input [1,4,4,2] -> CONV_2D (1x1, 2 filters, RELU6)
 * -> uint8 output [1,4,4,2]; weights in buffer 1, int32 bias in buffer 2.
 */
export function tinyModel(): ModelSpec {
  return {
    version: 3,
    description: 'tiny',
    operator_codes: [{ deprecated_builtin_code: 3, builtin_code: 3 }],
    buffers: [{}, { data: new Uint8Array([130, 120, 125, 135]) }, { data: new Uint8Array(new Int32Array([7, -7]).buffer) }],
    subgraphs: [{
      tensors: [
        { name: 'input', type: TensorType.uint8, shape: [1, 4, 4, 2], buffer: 0, quantization: { scale: [0.5], zero_point: [128] } },
        { name: 'weights', type: TensorType.uint8, shape: [2, 1, 1, 2], buffer: 1, quantization: { scale: [0.25], zero_point: [127] } },
        { name: 'bias', type: TensorType.int32, shape: [2], buffer: 2, quantization: { scale: [0.125], zero_point: [0] } },
        { name: 'output', type: TensorType.uint8, shape: [1, 4, 4, 2], buffer: 0, quantization: { scale: [1], zero_point: [0] } },
      ],
      inputs: [0],
      outputs: [3],
      operators: [{
        opcode_index: 0,
        inputs: [0, 1, 2],
        outputs: [3],
        builtin_options_type: 1,
        // Conv2DOptions: padding VALID, stride_w 1, stride_h 1, RELU6.
        builtin_options: [[0, 'int8', 1], [1, 'int32', 1], [2, 'int32', 1], [3, 'int8', 3]],
      }],
    }],
  };
}

/**
 * A TFLite metadata flatbuffer (metadata_schema.fbs, identifier "M001") whose main
 * graph's first output has the given associated files.
 */
export function encodeMetadata(files: { name: string; type: number }[]): Uint8Array {
  const b = new Builder(256);
  b.forceDefaults(true);
  const associated = offsets(b, files.map((f) => {
    const name = b.createString(f.name);
    b.startObject(5); // AssociatedFile: name 0, description 1, type 2, locale 3, version 4
    b.addFieldOffset(0, name, 0);
    b.addFieldInt8(2, f.type, 0);
    return b.endObject();
  }));
  b.startObject(7); // TensorMetadata: associated_files is field 6
  b.addFieldOffset(6, associated, 0);
  const output = offsets(b, [b.endObject()]);
  b.startObject(7); // SubGraphMetadata: output_tensor_metadata is field 3
  b.addFieldOffset(3, output, 0);
  const subgraphs = offsets(b, [b.endObject()]);
  const name = b.createString('tiny');
  b.startObject(8); // ModelMetadata: name 0, subgraph_metadata 3
  b.addFieldOffset(0, name, 0);
  b.addFieldOffset(3, subgraphs, 0);
  b.finish(b.endObject(), 'M001');
  return b.asUint8Array().slice();
}
