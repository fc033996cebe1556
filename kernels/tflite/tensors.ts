// Tensors of the main graph: type, shape, constant data and quantization, each checked
// against the others (a constant holds every byte its shape needs, per-channel scales
// match their dimension, zero points fit their type).

import type { Buffers } from './buffers.js';
import { quote } from './errors.js';
import { OBJECT_COST, type Table } from './flatbuffer-reader.js';
import type { Quantization, Tensor, TensorTypeName } from './model-types.js';
import {
  QuantizationFields, SubGraphFields, TENSOR_TYPES, TensorFields, UNREPRESENTED_TENSOR_TYPES,
} from './schema.js';

/** No tensor, constant or activation, may need more bytes than this. */
const MAX_TENSOR_BYTES = 2 ** 31 - 1;

const ZERO_POINT_RANGE: Partial<Record<TensorTypeName, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int4: [-8, 7],
};

export function readTensors(subgraph: Table, buffers: Buffers): Tensor[] {
  const vector = subgraph.tables(SubGraphFields.tensors);
  const tensors: Tensor[] = [];
  for (let i = 0; vector && i < vector.length; i++) {
    tensors.push(readTensor(vector.at(i, `tensor ${i}`), i, buffers));
  }
  return tensors;
}

function readTensor(unnamed: Table, index: number, buffers: Buffers): Tensor {
  const name = unnamed.string(TensorFields.name) ?? '';
  const table = unnamed.named(`tensor ${index} ${quote(name)}`);
  table.reader.charge(OBJECT_COST, table.where);
  const typeCode = table.int8(TensorFields.type);
  const type = TENSOR_TYPES[typeCode];
  if (!type) {
    const known = UNREPRESENTED_TENSOR_TYPES[typeCode];
    table.fail(TensorFields.type, known ? `type ${known} is not supported` : `${typeCode} is not a tensor type`);
  }
  const shape = table.int32s(TensorFields.shape) ?? [];
  if (shape.some((d) => d < 0)) table.fail(TensorFields.shape, `${formatShape(shape)} has a negative dimension`);
  if (table.has(TensorFields.sparsity)) {
    table.fail(TensorFields.sparsity, 'sparse tensors are not supported');
  }
  const bytesNeeded = tensorBytes(shape, type.bytes);
  if (bytesNeeded > MAX_TENSOR_BYTES) {
    table.fail(TensorFields.shape, `${type.name} ${formatShape(shape)} needs more than ${MAX_TENSOR_BYTES} bytes`);
  }
  const bufferIndex = table.uint32(TensorFields.buffer);
  let data = buffers.data(bufferIndex, table.where);
  // Types of variable size (string) hold their own layout; the runtime does not run them.
  if (data && type.bytes !== null) {
    if (data.length < bytesNeeded) {
      table.fail(TensorFields.buffer, `buffer ${bufferIndex} holds ${data.length} bytes, but ${type.name} ` +
        `${formatShape(shape)} needs ${bytesNeeded}`);
    }
    // Consumers may then take data.length as the tensor's size.
    data = data.subarray(0, bytesNeeded);
  }
  return {
    index,
    name,
    type: type.name,
    shape,
    data,
    quantization: readQuantization(table, shape, type.name),
    isVariable: table.bool(TensorFields.is_variable),
  };
}

/** Bytes a dense tensor needs; Infinity past any sane size (so no product overflows). */
function tensorBytes(shape: number[], bytesPerElement: number | null): number {
  if (shape.includes(0)) return 0;
  let elements = 1;
  for (const dim of shape) {
    elements *= dim;
    if (elements > MAX_TENSOR_BYTES * 2) return Infinity;
  }
  return bytesPerElement === null ? 0 : Math.ceil(elements * bytesPerElement);
}

function formatShape(shape: number[]): string {
  return `[${shape.slice(0, 8).join(', ')}${shape.length > 8 ? ', ...' : ''}]`;
}

function readQuantization(tensor: Table, shape: number[], type: TensorTypeName): Quantization | null {
  const table = tensor.table(TensorFields.quantization, `${tensor.where}: quantization`);
  if (!table) return null;
  const f = QuantizationFields;
  if (table.uint8(f.details_type) !== 0) table.fail(f.details, 'custom quantization is not supported');
  const scale = table.float32s(f.scale) ?? [];
  const zeroPoint = table.int64sAsInt32(f.zero_point) ?? [];
  // Float tensors often carry an empty table (or only min/max).
  if (scale.length === 0 && zeroPoint.length === 0) return null;
  if (scale.length !== zeroPoint.length) {
    table.fail(f.zero_point, `${zeroPoint.length} zero points for ${scale.length} scales (must be as many)`);
  }
  const dimension = table.int32(f.quantized_dimension);
  if (dimension < 0 || dimension >= Math.max(shape.length, 1)) {
    table.fail(f.quantized_dimension, `${dimension} is not a dimension of ${formatShape(shape)}`);
  }
  if (scale.length > 1 && shape[dimension] !== scale.length) {
    table.fail(f.scale, `${scale.length} per-channel scales, but dimension ${dimension} of ` +
      `${formatShape(shape)} has ${shape[dimension] ?? 0} channels`);
  }
  const bad = scale.findIndex((s) => !(s >= 0 && s < Infinity));
  if (bad >= 0) table.fail(f.scale, `scale ${bad} is ${scale[bad]} (must be finite and not negative)`);
  const range = ZERO_POINT_RANGE[type];
  const outside = range ? zeroPoint.findIndex((z) => z < range[0] || z > range[1]) : -1;
  if (range && outside >= 0) {
    table.fail(f.zero_point, `zero point ${zeroPoint[outside]} is outside the ${type} range ${range[0]}..${range[1]}`);
  }
  return { scale, zeroPoint, quantizedDimension: dimension };
}
