// Reads a .tflite file into the plain Model of model-types.ts, validating as it goes:
// whatever the bytes, the result is a Model whose indices, shapes, quantization and
// constant data are consistent with each other, or a ModelError that names the file,
// the place in the model and what is wrong there. Nothing downstream re-checks them.

import { Buffers } from './buffers.js';
import { ModelError, quote } from './errors.js';
import { describeFile } from './file-kind.js';
import { FlatReader, type Table } from './flatbuffer-reader.js';
import { readLabels } from './metadata.js';
import { readModelBytes } from './model-file.js';
import type { Model } from './model-types.js';
import { readOperatorCodes, readOperators, readTensorIndices } from './operators.js';
import {
  FILE_IDENTIFIER, METADATA_NAME, MetadataFields, ModelFields, SCHEMA_VERSION, SubGraphFields,
} from './schema.js';
import { readTensors } from './tensors.js';

export function readModel(input: Uint8Array, file: string): Model {
  // Constant data are views of these bytes: plain Uint8Arrays even if given a Buffer.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
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
  return readModel(await readModelBytes(path), path);
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
