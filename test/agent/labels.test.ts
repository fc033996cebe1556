// Labels files as users bring them (one label a line, or Coral's `N  label` lines), the rule
// that fits them to a model's classes, and top-k, which names the predictions with them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { fitLabels, readLabelFile, topK } from '../../agent/pipeline/classification.js';
import { CliError } from '../../agent/cli/cli-error.js';
import { modelPath } from '../support/paths.js';

const dir = mkdtempSync('/tmp/edge-agent-labels-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  writeFileSync(`${dir}/${name}`, content);
  return `${dir}/${name}`;
}

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<CliError> {
  const error = await (typeof promise === 'function' ? Promise.resolve().then(promise) : promise).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

const imagenet = modelPath('imagenet_labels.txt');

describe('reading a labels file', () => {
  it('reads one label a line, ignoring trailing blank lines and CRLF', async () => {
    const labels = await readLabelFile(file('plain.txt', 'cat\r\ndog\r\n\r\nbird\n\n\n'));
    expect(labels).toMatchObject({ indexed: false, labels: ['cat', 'dog', '', 'bird'] });
  });

  it('reads Coral-style `N  label` lines by their index column, leaving gaps unnamed', async () => {
    const labels = await readLabelFile(file('coral.txt', '0  person\n1  bicycle\n3 motorcycle\n\n7:truck\n'));
    expect(labels.indexed).toBe(true);
    expect(labels.labels).toEqual(['person', 'bicycle', '', 'motorcycle', '', '', '', 'truck']);
  });

  it('reads a plain file whose labels only sometimes start with a number as plain', async () => {
    const labels = await readLabelFile(file('numbers.txt', '7-Eleven\n3 wheeler\nvan\n'));
    expect(labels).toMatchObject({ indexed: false, labels: ['7-Eleven', '3 wheeler', 'van'] });
  });

  it('refuses an index given twice, naming both lines', async () => {
    const e = await refusal(readLabelFile(file('twice.txt', '0 cat\n1 dog\n1 wolf\n')));
    expect(e.exitCode).toBe(65);
    expect(e.message).toBe(`${dir}/twice.txt: line 3 gives index 1 again (first on line 2)`);
  });

  it('gives clean errors for a missing file, a directory, a symlink loop and a FIFO (exit 66), never EISDIR or a hang', async () => {
    mkdirSync(`${dir}/a-dir`);
    symlinkSync(`${dir}/loop-b`, `${dir}/loop-a`);
    symlinkSync(`${dir}/loop-a`, `${dir}/loop-b`);
    execFileSync('mkfifo', [`${dir}/fifo`]);
    const cases: [string, string][] = [
      ['missing.txt', 'no such file'],
      ['a-dir', 'is a directory, not a labels file'],
      ['loop-a', 'cannot be read (ELOOP)'],
      ['fifo', 'is not a regular file'],
    ];
    for (const [name, says] of cases) {
      const e = await refusal(readLabelFile(`${dir}/${name}`));
      expect(e.message).toBe(`${dir}/${name}: ${says}`);
      expect(e.exitCode).toBe(66);
    }
  });

  it('refuses an empty file, a binary file and one that is not UTF-8 (exit 65)', async () => {
    const cases: [string, string | Uint8Array, string][] = [
      ['empty.txt', '\n\n', 'the labels file is empty'],
      ['model.tflite', readFileSync(modelPath('mobilenet_v1_0.25_128_quant.tflite')).subarray(0, 4096), 'not a text file (it holds NUL bytes)'],
      ['latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'not UTF-8 text'],
    ];
    for (const [name, content, says] of cases) {
      const e = await refusal(readLabelFile(file(name, content)));
      expect(e.message).toBe(`${dir}/${name}: ${says}`);
      expect(e.exitCode).toBe(65);
    }
  });
});

describe('fitting labels to the model', () => {
  it('takes a file with one label per class as it is', async () => {
    const labels = fitLabels(await readLabelFile(imagenet), 1001);
    expect(labels).toHaveLength(1001);
    expect(labels[286]).toBe('Egyptian cat');
  });

  it('skips one extra first line "background" or "???" for a model whose classes start at the first real one', async () => {
    const without = readFileSync(imagenet, 'utf8').split('\n').slice(1, 1001);
    expect(without[0]).toBe('tench, Tinca tinca');
    const labels = fitLabels(await readLabelFile(imagenet), 1000);
    expect(labels).toEqual(without);
    const coco = fitLabels(await readLabelFile(file('coco.txt', '???\nperson\nbicycle\n')), 2);
    expect(coco).toEqual(['person', 'bicycle']);
  });

  it('refuses any other count, naming both', async () => {
    const cases: [number, RegExp][] = [
      // ImageNet's names on a 965-class model would be confidently wrong.
      [965, /imagenet_labels\.txt: 1001 labels, but the model has 965 classes$/],
      // One short: the file lacks the model's class 0.
      [1002, /1001 labels, but the model has 1002 classes; if the model's class 0 is "background", add that as the first line$/],
    ];
    for (const [classes, says] of cases) {
      const e = await refusal(async () => fitLabels(await readLabelFile(imagenet), classes));
      expect(e.exitCode).toBe(65);
      expect(e.message).toMatch(says);
    }
  });

  it('skips an extra first line only when it is a placeholder', async () => {
    const e = await refusal(async () => fitLabels(await readLabelFile(file('three.txt', 'cat\ndog\nbird\n')), 2));
    expect(e.message).toBe(`${dir}/three.txt: 3 labels, but the model has 2 classes (only a first line "background" or "???" may be extra; this one is "cat")`);
  });

  it('takes an indexed file whose indices are all classes of the model, and refuses one beyond them', async () => {
    const coral = await readLabelFile(file('coral-fit.txt', '0 person\n2 car\n'));
    expect(fitLabels(coral, 4)).toEqual(['person', '', 'car']);
    const e = await refusal(() => fitLabels(coral, 2));
    expect(e.message).toBe(`${dir}/coral-fit.txt: indices go up to 2, but the model has 2 classes (0 to 1)`);
    expect(e.exitCode).toBe(65);
  });
});

describe('topK', () => {
  it('names each prediction by its label, or #index where the file has none', () => {
    expect(topK([0.1, 0.5, 0.3], 3, ['a', '', 'c'])).toEqual([
      { index: 1, label: '#1', score: 0.5 },
      { index: 2, label: 'c', score: 0.3 },
      { index: 0, label: 'a', score: 0.1 },
    ]);
  });

  it('never returns a prediction that scores 0, even when fewer than k remain', () => {
    expect(topK([0, 0.25, 0, 0.0000001, 0.5], 5, null)).toEqual([
      { index: 4, label: '#4', score: 0.5 },
      { index: 1, label: '#1', score: 0.25 },
    ]);
    expect(topK([0, 0, 0], 3, null)).toEqual([]);
  });
});
