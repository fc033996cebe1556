// --labels with classify and model.labels with run, as real child processes: a labels file
// that does not fit the model is refused (exit 65, both counts named) before any result is
// printed or published, rather than giving confidently wrong names.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierModel } from '../support/small-models.js';
import { imagePath, modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync('/tmp/edge-agent-cli-labels-');
const imagenet = modelPath('imagenet_labels.txt');
const v1 = modelPath('mobilenet_v1_0.25_128_quant.tflite');
const birds = `${dir}/birds_965.tflite`;
const cat = imagePath('cat.png');

const jsonLines = (stdout: string): Record<string, any>[] => stdout.trim().split('\n').map((l) => JSON.parse(l));

beforeAll(() => {
  writeFileSync(birds, classifierModel(965));
  mkdirSync(`${dir}/labels-dir`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('classify --labels', () => {
  it('refuses ImageNet labels on a 965-class model (exit 65, both counts), printing no result', async () => {
    const r = await runCli(['classify', '--model', birds, '--labels', imagenet, '--engine', 'js', '--json', cat]);
    expect(r.code, r.stderr).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`edge-agent: ${imagenet}: 1001 labels, but the model has 965 classes`);
  });

  it('reads Coral-style indexed labels, with gaps', async () => {
    const { top } = jsonLines((await runCli(['classify', '--model', birds, '--engine', 'js', '--json', '--top', '3', cat])).stdout)[0];
    expect(top).toHaveLength(3);
    const [first, , third] = top;
    // Name the first prediction by index, leave the third's index out: it stays unnamed.
    writeFileSync(`${dir}/coral.txt`, `${first.index}  Cassin's finch\n964  background\n`);
    const r = await runCli(['classify', '--model', birds, '--labels', `${dir}/coral.txt`, '--engine', 'js', '--json', '--top', '3', cat]);
    expect(r.code, r.stderr).toBe(0);
    const named = jsonLines(r.stdout)[0].top;
    expect(named[0]).toEqual({ ...first, label: "Cassin's finch" });
    expect(named[2]).toEqual({ ...third, label: `#${third.index}` });
  });

  it('skips a first "background" line for a model whose classes start at the first real one', async () => {
    const lines = readFileSync(imagenet, 'utf8').split('\n');
    writeFileSync(`${dir}/with-background.txt`, lines.slice(0, 966).join('\n') + '\n');
    const r = await runCli(['classify', '--model', birds, '--labels', `${dir}/with-background.txt`, '--engine', 'js', '--json', '--top', '1', cat]);
    expect(r.code, r.stderr).toBe(0);
    const [p] = jsonLines(r.stdout)[0].top;
    expect(p.label).toBe(lines[p.index + 1]);
  });

  it('refuses a file one label short (it used to be read shifted by one)', async () => {
    writeFileSync(`${dir}/short.txt`, readFileSync(imagenet, 'utf8').split('\n').slice(1).join('\n'));
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v2_1.0_224_quant.tflite'), '--labels', `${dir}/short.txt`, '--engine', 'js', cat]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${dir}/short.txt: 1000 labels, but the model has 1001 classes; if the model's class 0 is "background", add that as the first line`);
  });

  it('a directory given as labels is a clean error (exit 66), not EISDIR', async () => {
    const r = await runCli(['classify', '--model', v1, '--labels', `${dir}/labels-dir`, '--engine', 'js', cat]);
    expect(r.code).toBe(66);
    expect(r.stderr.trim()).toBe(`edge-agent: ${dir}/labels-dir: is a directory, not a labels file`);
  });
});

describe('run with model.labels', () => {
  it('exits 65 naming both counts when the labels file does not fit the model', async () => {
    const labels965 = `${dir}/labels-965.txt`;
    writeFileSync(labels965, readFileSync(imagenet, 'utf8').split('\n').slice(0, 965).join('\n') + '\n');
    writeFileSync(`${dir}/run.yaml`, `model:\n  file: ${v1}\n  labels: ${labels965}\n`);
    const r = await runCli(['run', '--simulate', '--max-frames', '1', '--config', `${dir}/run.yaml`, '--data-dir', `${dir}/data`]);
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toContain(`edge-agent: ${labels965}: 965 labels, but the model has 1001 classes`);
    expect(r.stdout).not.toMatch(/"msg":"result"/);
  });
});
