// Class labels from the model file itself. TFLite metadata (a second flatbuffer, in the
// buffer of the 'TFLITE_METADATA' entry) names the output's label file, and the file
// itself sits in a zip archive appended after the model. Labels are a convenience:
// nothing here may stop a sound model from loading, so every problem becomes a warning
// and the labels null.

import { FlatReader, type Table } from './flatbuffer-reader.js';
import { ModelError, quote } from './errors.js';
import {
  AssociatedFileFields, type Field, METADATA_NAME, ModelMetadataFields, SubGraphMetadataFields,
  TENSOR_AXIS_LABELS, TensorMetadataFields,
} from './schema.js';
import { Zip, ZipError, type ZipEntry } from './zip.js';

/** Far above any real label file (ImageNet-21k's is ~300 kB); a zip bomb stops here. */
export const MAX_LABEL_BYTES = 16 * 1024 * 1024;
/** An array of this many strings is already ~8 MB; more lines are not labels. */
export const MAX_LABELS = 1_000_000;
const METADATA_IDENTIFIER = 'M001';

export interface Labels {
  labels: string[] | null;
  warnings: string[];
}

/**
 * @param bytes the whole model file
 * @param metadata the TFLITE_METADATA buffer's bytes, when the model has one
 */
export function readLabels(bytes: Uint8Array, metadata: Uint8Array | null, file: string): Labels {
  const warnings: string[] = [];
  let named: string | null = null;
  if (metadata) {
    try {
      named = labelFileName(metadata, file);
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      warnings.push(`metadata unreadable (${error.reason}); looking for a label file by name`);
    }
  }
  try {
    const zip = Zip.find(bytes);
    if (!zip) {
      // The archive is the last thing in the file, so a file cut short loses it first.
      if (named !== null) warnings.push(`metadata names the label file ${quote(named)}, but the model carries no associated files (the file may be truncated)`);
      return { labels: null, warnings };
    }
    const entry = chooseLabelFile(zip.entries, named, warnings);
    return { labels: entry && splitLabels(zip.read(entry, MAX_LABEL_BYTES), entry.name), warnings };
  } catch (error) {
    if (!(error instanceof ZipError)) throw error;
    warnings.push(`associated files unreadable: ${error.message}; no labels`);
    return { labels: null, warnings };
  }
}

/** The first TENSOR_AXIS_LABELS file of the main graph's outputs, else of the model. */
function labelFileName(metadata: Uint8Array, file: string): string | null {
  const reader = new FlatReader(metadata, file);
  const root = reader.root(METADATA_NAME);
  const identifier = String.fromCharCode(...metadata.subarray(4, 8));
  if (identifier !== METADATA_IDENTIFIER) {
    reader.fail(METADATA_NAME, `file identifier is ${quote(identifier)}, not '${METADATA_IDENTIFIER}'`);
  }
  const subgraphs = root.tables(ModelMetadataFields.subgraph_metadata);
  if (subgraphs && subgraphs.length > 0) {
    const outputs = subgraphs.at(0, `${METADATA_NAME} subgraph 0`).tables(SubGraphMetadataFields.output_tensor_metadata);
    for (let i = 0; outputs && i < outputs.length; i++) {
      const output = outputs.at(i, `${METADATA_NAME} output ${i}`);
      const name = labelsIn(output, TensorMetadataFields.associated_files);
      if (name !== null) return name;
    }
  }
  return labelsIn(root, ModelMetadataFields.associated_files);
}

function labelsIn(owner: Table, field: Field): string | null {
  const files = owner.tables(field);
  for (let i = 0; files && i < files.length; i++) {
    const associated = files.at(i, `${owner.where}: associated file ${i}`);
    if (associated.int8(AssociatedFileFields.type) === TENSOR_AXIS_LABELS) {
      return associated.string(AssociatedFileFields.name);
    }
  }
  return null;
}

/**
 * The file the metadata names; failing that (no metadata, or a name not in the zip), the
 * only .txt file, or the first whose name says 'label'.
 */
function chooseLabelFile(entries: readonly ZipEntry[], named: string | null, warnings: string[]): ZipEntry | null {
  if (named !== null) {
    const entry = entries.find((e) => e.name === named);
    if (entry) return entry;
    warnings.push(`metadata names the label file ${quote(named)}, which the associated files lack`);
  }
  const texts = entries.filter((e) => e.name.toLowerCase().endsWith('.txt'));
  if (texts.length === 1) return texts[0];
  const labelled = texts.find((e) => e.name.toLowerCase().includes('label'));
  if (labelled) return labelled;
  if (texts.length > 1) {
    warnings.push(`no label file: ${texts.length} text files among the associated files and none named as labels`);
  }
  return null;
}

function splitLabels(text: Uint8Array, name: string): string[] {
  let lines = 1;
  for (const byte of text) if (byte === 0x0a) lines++;
  if (lines > MAX_LABELS + 1) throw new ZipError(`'${name}' has ${lines} lines, more than the ${MAX_LABELS} labels allowed`);
  const labels = new TextDecoder('utf-8').decode(text).split(/\r?\n/);
  if (labels[labels.length - 1] === '') labels.pop();
  return labels;
}
