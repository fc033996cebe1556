// Builds small .tflite flatbuffers for tests (field ids from TFLite's published schema),
// so tests can make models with any operator, shape or quantization they need.
import { Builder } from 'flatbuffers';

export const TensorType = { float32: 0, int32: 2, uint8: 3, int8: 9 } as const;

export interface TensorSpec {
  name: string;
  type: keyof typeof TensorType;
  shape: number[];
  /** Constant data. */
  data?: Uint8Array;
  scale?: number[];
  zeroPoint?: number[];
  quantizedDimension?: number;
}

export interface OperatorSpec {
  /** Builtin operator code (e.g. 3 = CONV_2D, 14 = LOGISTIC). */
  code: number;
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union type and a writer for the options table's fields. */
  options?: { type: number; write: (b: Builder) => void; fields: number };
}

export interface ModelSpec {
  tensors: TensorSpec[];
  operators: OperatorSpec[];
  inputs: number[];
  outputs: number[];
}

function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function int64Vector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function float32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

function byteVector(b: Builder, bytes: Uint8Array): number {
  b.startVector(1, bytes.length, 16);
  for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
  return b.endVector();
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const b = new Builder(1024);
  const codes = [...new Set(spec.operators.map((o) => o.code))];

  // Buffer 0 is the empty sentinel TFLite expects; constant tensors get their own.
  const bufferOffsets: number[] = [];
  const tensorBuffer: number[] = [];
  b.startObject(3);
  bufferOffsets.push(b.endObject());
  for (const t of spec.tensors) {
    if (!t.data) {
      tensorBuffer.push(0);
      continue;
    }
    const data = byteVector(b, t.data);
    b.startObject(3);
    b.addFieldOffset(0, data, 0);
    bufferOffsets.push(b.endObject());
    tensorBuffer.push(bufferOffsets.length - 1);
  }

  const tensorOffsets = spec.tensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    let quant = 0;
    if (t.scale) {
      const scale = float32Vector(b, t.scale);
      const zp = int64Vector(b, t.zeroPoint ?? t.scale.map(() => 0));
      b.startObject(7);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      b.addFieldInt32(6, t.quantizedDimension ?? 0, 0);
      quant = b.endObject();
    }
    b.startObject(6);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, TensorType[t.type], 0);
    b.addFieldInt32(2, tensorBuffer[i], 0);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    return b.endObject();
  });

  const operatorOffsets = spec.operators.map((o) => {
    const inputs = int32Vector(b, o.inputs);
    const outputs = int32Vector(b, o.outputs);
    let options = 0;
    if (o.options) {
      b.startObject(o.options.fields);
      o.options.write(b);
      options = b.endObject();
    }
    b.startObject(5);
    b.addFieldInt32(0, codes.indexOf(o.code), 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (o.options) {
      b.addFieldInt8(3, o.options.type, 0);
      b.addFieldOffset(4, options, 0);
    }
    return b.endObject();
  });

  const tensors = offsetVector(b, tensorOffsets);
  const inputs = int32Vector(b, spec.inputs);
  const outputs = int32Vector(b, spec.outputs);
  const operators = offsetVector(b, operatorOffsets);
  b.startObject(5);
  b.addFieldOffset(0, tensors, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, operators, 0);
  const subgraph = b.endObject();

  const codeOffsets = codes.map((code) => {
    b.startObject(4);
    b.addFieldInt8(0, Math.min(code, 127), 0);
    b.addFieldInt32(2, 1, 1);
    b.addFieldInt32(3, code, 0);
    return b.endObject();
  });

  const operatorCodes = offsetVector(b, codeOffsets);
  const subgraphs = offsetVector(b, [subgraph]);
  const buffers = offsetVector(b, bufferOffsets);
  const description = b.createString('edge-agent test model');
  b.startObject(8);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, operatorCodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  const model = b.endObject();
  b.finish(model, 'TFL3');
  return b.asUint8Array().slice();
}
