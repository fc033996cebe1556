import { describe, expect, it } from 'vitest';
import { imagePath, modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const v2 = modelPath('mobilenet_v2_1.0_224_quant.tflite');

const jsonLines = (stdout: string): Record<string, any>[] =>
  stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('edge-agent classify', () => {
  it('prints one JSON line per image with the expected top-1 (Egyptian cat, macaw)', async () => {
    const r = await runCli(['classify', '--model', v2, '--json', '--engine', 'js', imagePath('cat.png'), imagePath('parrot.jpg')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [cat, parrot] = jsonLines(r.stdout);
    expect(cat.image).toBe(imagePath('cat.png'));
    expect(cat.engine).toBe('js');
    expect(cat.ms).toBeGreaterThan(0);
    expect(cat.top).toHaveLength(5);
    expect(cat.top[0]).toMatchObject({ index: 286, label: 'Egyptian cat' });
    expect(cat.top[0].score).toBeGreaterThan(cat.top[1].score);
    expect(parrot.top[0]).toMatchObject({ index: 89, label: 'macaw' });
    expect(cat).not.toHaveProperty('raw');
  });

  it('--raw adds the quantized output tensor and --top limits the list', async () => {
    const r = await runCli(['classify', '--model', v2, '--json', '--raw', '--top', '2', '--engine', 'js', imagePath('cat.png')]);
    expect(r.code).toBe(0);
    const [line] = jsonLines(r.stdout);
    expect(line.top).toHaveLength(2);
    expect(line.raw).toHaveLength(1001);
    expect(line.raw.every((v: number) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    const argmax = line.raw.indexOf(Math.max(...line.raw));
    expect(argmax).toBe(line.top[0].index);
  });

  it('prints a readable table without --json', async () => {
    const r = await runCli(['classify', '--model', v2, '--engine', 'js', '--top', '3', imagePath('cat.png')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toContain('cat.png');
    expect(lines[0]).toMatch(/js, \d+\.\d+ ms/);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/286\s+Egyptian cat\s+0\.\d{4}/);
  });

  it('reads labels from --labels, one per class (a file one short is refused: test/agent/cli-labels.test.ts)', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { readFileSync } = await import('node:fs');
    const dir = await mkdtemp('/tmp/edge-agent-labels-');
    const labels = readFileSync(modelPath('imagenet_labels.txt'), 'utf8').split('\n');
    await writeFile(`${dir}/labels.txt`, labels.map((l) => l.toUpperCase()).join('\n'));
    const r = await runCli(['classify', '--model', v2, '--json', '--engine', 'js', '--labels', `${dir}/labels.txt`, imagePath('cat.png')]);
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)[0].top[0]).toMatchObject({ index: 286, label: 'EGYPTIAN CAT' });
  });
});
