import { readFile } from 'node:fs/promises';
import { CliError, ExitCode } from '../cli/cli-error.js';

export interface Prediction {
  index: number;
  label: string;
  score: number;
}

/** Reads a label file: one label per line, blank trailing lines ignored. */
export async function readLabels(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, ExitCode.noInput);
  }
  const labels = text.split(/\r?\n/);
  while (labels.length > 0 && labels[labels.length - 1].trim() === '') labels.pop();
  if (labels.length === 0) throw new CliError(`${file}: the label file is empty`, ExitCode.dataError);
  return labels;
}

/**
 * The label of an output index. A label list one shorter than the output lacks the
 * "background" class that TF1 ImageNet models put at index 0, so it is read shifted by one.
 */
export function labelOf(index: number, labels: readonly string[] | null, outputCount: number): string {
  if (!labels) return `#${index}`;
  const shifted = labels.length === outputCount - 1;
  const label = shifted ? labels[index - 1] : labels[index];
  return label ?? `#${index}`;
}

/** The k highest scores, highest first; ties keep the lower index first. */
export function topK(values: ArrayLike<number>, k: number, labels: readonly string[] | null): Prediction[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({
    index,
    label: labelOf(index, labels, values.length),
    score: Math.round(values[index] * 1e6) / 1e6,
  }));
}
