import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_LABELS } from '../../kernels/tflite/metadata.js';
import { CliError, ExitCode } from '../cli/cli-error.js';

export interface Prediction {
  index: number;
  label: string;
  score: number;
}

/** A labels file as written: a label for each class index it names. */
export interface LabelFile {
  file: string;
  /** By class index; '' where the file names none (a gap, or an empty line). */
  labels: string[];
  /** The file numbers its lines itself (Coral's `N  label`), so no line can be extra. */
  indexed: boolean;
}

/** Far above any real label file (ImageNet-21k's is ~300 kB): more is not a labels file. */
const MAX_LABEL_FILE_BYTES = 16 * 1024 * 1024;

/** Coral's `N  label` (or `N:label`) line, as its read_label_file takes it. */
const INDEXED_LINE = /^\s*(\d+)[\s:]+(\S.*?)\s*$/;

/** The first line a file may have beyond the model's classes: the class 0 of the models it was written for. */
const PLACEHOLDERS = new Set(['background', '???']);

function unreadable(file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'is a directory, not a labels file'
        : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
          : `cannot be read (${code ?? (err as Error).message})`;
  return new CliError(`${file}: ${why}`, ExitCode.noInput);
}

async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    // Non-blocking, or opening a FIFO would wait for a writer that never comes.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new CliError(`${file}: is a directory, not a labels file`, ExitCode.noInput);
      // A FIFO or a device would never end.
      if (!info.isFile()) throw new CliError(`${file}: is not a regular file`, ExitCode.noInput);
      if (info.size > MAX_LABEL_FILE_BYTES) throw new CliError(`${file}: ${info.size} bytes is too large for a labels file`, ExitCode.dataError);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw unreadable(file, err);
  }
  if (bytes.includes(0)) throw new CliError(`${file}: not a text file (it holds NUL bytes)`, ExitCode.dataError);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${file}: not UTF-8 text`, ExitCode.dataError);
  }
}

/**
 * Reads a labels file: one label a line (line k names class k), or, when every line is
 * `N  label` as in Coral's label files, by that index, with gaps allowed. Blank trailing
 * lines are ignored.
 */
export async function readLabelFile(file: string): Promise<LabelFile> {
  const lines = (await readText(file)).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new CliError(`${file}: the labels file is empty`, ExitCode.dataError);
  const indexed = lines.every((line) => line.trim() === '' || INDEXED_LINE.test(line));
  if (!indexed) return { file, labels: lines, indexed: false };
  const labels: string[] = [];
  const lineOf = new Map<number, number>();
  lines.forEach((line, i) => {
    const match = INDEXED_LINE.exec(line);
    if (!match) return;
    const index = Number(match[1]);
    const first = lineOf.get(index);
    if (first !== undefined) throw new CliError(`${file}: line ${i + 1} gives index ${index} again (first on line ${first})`, ExitCode.dataError);
    if (index >= MAX_LABELS) throw new CliError(`${file}: line ${i + 1}: index ${index} is beyond any model's classes`, ExitCode.dataError);
    lineOf.set(index, i + 1);
    labels[index] = match[2];
  });
  return { file, labels: Array.from(labels, (label) => label ?? ''), indexed: true };
}

/**
 * The labels of a model with `classes` outputs, by output index. Line k of the file names
 * output k, as in TFLite's label files, so the file must have one line per class. The one
 * exception is TFLite's for files written for models with a "background" or "???" class 0
 * (ImageNet's 1001, COCO's detector): such a file, given to a model whose outputs start at the
 * first real class, has exactly one line too many, and that first line is skipped. A file
 * one line short is refused rather than read shifted: nothing in it says which class it lacks.
 * An indexed file names its classes itself and only has to stay within the model's.
 */
export function fitLabels(labelFile: LabelFile, classes: number): string[] {
  const { file, labels } = labelFile;
  if (labelFile.indexed) {
    if (labels.length <= classes) return labels;
    throw new CliError(`${file}: indices go up to ${labels.length - 1}, but the model has ${classes} classes (0 to ${classes - 1})`, ExitCode.dataError);
  }
  if (labels.length === classes) return labels;
  const first = labels[0].trim();
  if (labels.length === classes + 1 && PLACEHOLDERS.has(first.toLowerCase())) return labels.slice(1);
  const hint =
    labels.length === classes - 1 ? `; if the model's class 0 is "background", add that as the first line`
      : labels.length === classes + 1 ? ` (only a first line "background" or "???" may be extra; this one is "${first.slice(0, 40)}")`
        : '';
  throw new CliError(`${file}: ${labels.length} labels, but the model has ${classes} classes${hint}`, ExitCode.dataError);
}

/** How many classes a classifier's output scores: one per value of its output tensor. */
export function classCount(outputShape: readonly number[]): number {
  return outputShape.reduce((a, b) => a * b, 1);
}

/** The label of an output index: from the labels, else its number. */
export function labelOf(index: number, labels: readonly string[] | null): string {
  return labels?.[index] || `#${index}`;
}

/**
 * The k highest scores, highest first; ties keep the lower index first. A score of 0 (as
 * published, to 6 decimals) is left out: it says the model gave the class nothing, and
 * listing it would only pad the result with arbitrary classes.
 */
export function topK(values: ArrayLike<number>, k: number, labels: readonly string[] | null): Prediction[] {
  const score = (i: number): number => Math.round(values[i] * 1e6) / 1e6;
  const order = Array.from({ length: values.length }, (_, i) => i).filter((i) => score(i) !== 0);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({ index, label: labelOf(index, labels), score: score(index) }));
}
