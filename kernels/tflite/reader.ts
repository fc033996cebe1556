// Reads a .tflite file into the plain Model of model-types.ts, validating as it goes:
// whatever the bytes, the result is a Model whose indices, shapes, quantization and
// constant data are consistent with each other, or a ModelError that names the file,
// the place in the model and what is wrong there. Nothing downstream re-checks them.

import { open } from 'node:fs/promises';
import { describeFile } from './file-kind.js';
import { ModelError, quote } from './errors.js';
import { FlatReader, type Table, type TableVector } from './flatbuffer-reader.js';
import { readLabels } from './metadata.js';
import type { Model, Operator, Quantization, Tensor, TensorTypeName } from './model-types.js';
import { readOptions } from './options.js';
import {
  BufferFields, BuiltinOperator, builtinOperatorName, FILE_IDENTIFIER, type Field, METADATA_NAME,
  MetadataFields, ModelFields, OperatorCodeFields, OperatorFields, QuantizationFields,
  SCHEMA_VERSION, SubGraphFields, TENSOR_TYPES, TensorFields, UNREPRESENTED_TENSOR_TYPES,
} from './schema.js';

/**
 * Flatbuffer offsets are 32-bit, and so are typed array lengths on the 32-bit Pi OS;
 * files beyond this (TFLite's >2 GB format) could not be held in memory there anyway.
 */
const MAX_MODEL_BYTES = 2 ** 31 - 1;
/** No tensor, constant or activation, may need more bytes than this. */
const MAX_TENSOR_BYTES = 2 ** 31 - 1;
/** Budget units charged for each Tensor and Operator object built (see FlatReader). */
const OBJECT_COST = 16;

const ZERO_POINT_RANGE: Partial<Record<TensorTypeName, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int4: [-8, 7],
};

export function readModel(bytes: Uint8Array, file: string): Model {
  checkIdentifier(bytes, file);
  const reader = new FlatReader(bytes, file);
  const root: Table = reader.root('model');
  const version = root.uint32(ModelFields.version);
  if (version !== SCHEMA_VERSION) {
    root.fail(ModelFields.version, `schema version ${version} is not supported (expected ${SCHEMA_VERSION})`);
  }
  const buffers = new Buffers(reader, root.tables(ModelFields.buffers));
  const codes = readOperatorCodes(root);
  const subgraphs = root.tables(ModelFields.subgraphs);
  if (!subgraphs || subgraphs.length === 0) {
    root.fail(ModelFields.subgraphs, 'the model has no subgraphs (its main graph is missing)');
  }
  const main = subgraphs.at(0, 'subgraph 0');
  const tensors = readTensors(main, buffers);
  const operators = readOperators(main, codes, tensors.length);
  const metadata = readMetadata(root, buffers);
  const labels = readLabels(bytes, metadata.labelSource, file);
  return {
    file,
    version,
    description: root.string(ModelFields.description) ?? '',
    tensors,
    operators,
    inputs: readTensorIndices(main, SubGraphFields.inputs, tensors.length),
    outputs: readTensorIndices(main, SubGraphFields.outputs, tensors.length),
    subgraphCount: subgraphs.length,
    labels: labels.labels,
    metadataNames: metadata.names,
    sizeBytes: bytes.length,
    warnings: [...metadata.warnings, ...labels.warnings],
  };
}

/** Reads and validates a model file; every failure is a ModelError naming `path`. */
export async function loadModelFile(path: string): Promise<Model> {
  return readModel(await readWholeFile(path), path);
}

async function readWholeFile(path: string): Promise<Uint8Array> {
  try {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new ModelError(path, 'is a directory, not a model file');
      // A FIFO or a device such as /dev/zero would never end.
      if (!info.isFile()) throw new ModelError(path, 'is not a regular file');
      if (info.size > MAX_MODEL_BYTES) {
        throw new ModelError(path, `${info.size} bytes is larger than the ${MAX_MODEL_BYTES} bytes a model may have`);
      }
      const bytes = new Uint8Array(info.size);
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
        if (bytesRead === 0) throw new ModelError(path, `file shrank while being read (${filled} of ${info.size} bytes)`);
        filled += bytesRead;
      }
      return bytes;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw new ModelError(path, describeIoError(error), { cause: error });
  }
}

function describeIoError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'is a directory, not a model file';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'no such file (a parent in the path is not a directory)';
    default: return `cannot be read (${code ?? message})`;
  }
}

function checkIdentifier(bytes: Uint8Array, file: string): void {
  if (bytes.length === 0) throw new ModelError(file, 'empty file (0 bytes), not a TFLite model');
  const identifier = String.fromCharCode(...bytes.subarray(4, 8));
  if (identifier === FILE_IDENTIFIER) return;
  const kind = describeFile(bytes);
  if (kind) throw new ModelError(file, `not a TFLite model: it looks like ${kind}`);
  if (bytes.length < 8) throw new ModelError(file, `not a TFLite model: ${bytes.length} bytes is too short`);
  const hex = Array.from(bytes.subarray(4, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ModelError(file, `not a TFLite model: bytes 4-7 are ${hex}, not the identifier '${FILE_IDENTIFIER}'`);
}

interface OperatorCode {
  code: number;
  name: string;
}

function readOperatorCodes(root: Table): OperatorCode[] {
  const vector = root.tables(ModelFields.operator_codes);
  const codes: OperatorCode[] = [];
  for (let i = 0; vector && i < vector.length; i++) {
    const entry = vector.at(i, `operator code ${i}`);
    // The int8 field holds codes up to 126 and 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) for
    // larger ones; older files lack the int32 field. TFLite takes the larger of the two.
    const code = Math.max(
      entry.int8(OperatorCodeFields.deprecated_builtin_code),
      entry.int32(OperatorCodeFields.builtin_code),
    );
    if (code < 0) entry.fail(OperatorCodeFields.builtin_code, `${code} is not an operator code`);
    const name = code === BuiltinOperator.CUSTOM
      ? `CUSTOM:${entry.string(OperatorCodeFields.custom_code) ?? ''}`
      : builtinOperatorName(code);
    codes.push({ code, name });
  }
  return codes;
}

/** The model's buffers, opened (and checked) when a tensor or the metadata uses one. */
class Buffers {
  private readonly opened = new Map<number, Uint8Array | null>();

  constructor(private readonly reader: FlatReader, private readonly vector: TableVector | null) {}

  get count(): number {
    return this.vector ? this.vector.length : 0;
  }

  /** The buffer's bytes as a view into the file, or null when it is empty. */
  data(index: number, where: string): Uint8Array | null {
    // Buffer 0 is by convention the empty one, which a model without constants may omit.
    if (index === 0 && this.count === 0) return null;
    if (index >= this.count) {
      this.reader.fail(where, `buffer ${index} out of range (file has ${this.count} buffers)`);
    }
    let data = this.opened.get(index);
    if (data === undefined) {
      data = this.open(index, where);
      this.opened.set(index, data);
    }
    return data;
  }

  private open(index: number, user: string): Uint8Array | null {
    const buffer = (this.vector as TableVector).at(index, `${user}: buffer ${index}`);
    // Files over 2 GB keep data outside the flatbuffer: offset (> 1 when used) and size
    // locate it from the start of the file.
    const offset = buffer.uint64(BufferFields.offset);
    if (offset > 1) {
      const size = buffer.uint64(BufferFields.size);
      if (offset + size > this.reader.size) {
        buffer.fail(BufferFields.size, `${size} bytes at offset ${offset} run past the end of the file ` +
          `(${this.reader.size} bytes)`);
      }
      return size > 0 ? this.reader.bytes.subarray(offset, offset + size) : null;
    }
    const data = buffer.bytes(BufferFields.data);
    return data && data.length > 0 ? data : null;
  }
}

function readTensors(subgraph: Table, buffers: Buffers): Tensor[] {
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

function readOperators(subgraph: Table, codes: OperatorCode[], tensorCount: number): Operator[] {
  const vector = subgraph.tables(SubGraphFields.operators);
  const operators: Operator[] = [];
  for (let i = 0; vector && i < vector.length; i++) {
    const unnamed = vector.at(i, `operator ${i}`);
    unnamed.reader.charge(OBJECT_COST, unnamed.where);
    const codeIndex = unnamed.uint32(OperatorFields.opcode_index);
    if (codeIndex >= codes.length) {
      unnamed.fail(OperatorFields.opcode_index, `${codeIndex} out of range (file has ${codes.length} operator codes)`);
    }
    const { code, name } = codes[codeIndex];
    const table = unnamed.named(`operator ${i} ${name}`);
    operators.push({
      index: i,
      code,
      name,
      inputs: readTensorIndices(table, OperatorFields.inputs, tensorCount, true),
      outputs: readTensorIndices(table, OperatorFields.outputs, tensorCount),
      options: readOptions(table, code, table.where),
    });
  }
  return operators;
}

function readTensorIndices(
  table: Table,
  field: Field,
  tensorCount: number,
  optional = false,
): number[] {
  const indices = table.int32s(field) ?? [];
  const lowest = optional ? -1 : 0;
  const bad = indices.findIndex((t) => t < lowest || t >= tensorCount);
  if (bad >= 0) {
    table.fail(field, `entry ${bad} is tensor ${indices[bad]}, out of range (subgraph has ${tensorCount} tensors)`);
  }
  return indices;
}

interface ModelMetadata {
  names: string[];
  /** The TFLITE_METADATA buffer, which names the label file. */
  labelSource: Uint8Array | null;
  warnings: string[];
}

/**
 * The metadata list. Only labels depend on it, so damage here costs the labels and a
 * warning, not the model.
 */
function readMetadata(root: Table, buffers: Buffers): ModelMetadata {
  const result: ModelMetadata = { names: [], labelSource: null, warnings: [] };
  try {
    const vector = root.tables(ModelFields.metadata);
    for (let i = 0; vector && i < vector.length; i++) {
      const entry = vector.at(i, `metadata ${i}`);
      const name = entry.string(MetadataFields.name) ?? '';
      result.names.push(name);
      if (name === METADATA_NAME && !result.labelSource) {
        result.labelSource = buffers.data(entry.uint32(MetadataFields.buffer), `metadata ${i} ${quote(name)}`);
      }
    }
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    result.warnings.push(`metadata unreadable (${error.reason}); labels may be missing`);
  }
  return result;
}
