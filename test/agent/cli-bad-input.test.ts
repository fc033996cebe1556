// Every kind of bad input ends with a non-zero exit and one to three lines on stderr that
// name the file and the cause, without a stack trace.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel, tinyModel } from '../support/model-builder.js';
import { edgeTpuModel, vectorInputModel } from '../support/small-models.js';
import { imagePath, modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync('/tmp/edge-agent-bad-');
const good = readFileSync(modelPath('mobilenet_v1_0.25_128_quant.tflite'));
const cat = imagePath('cat.png');

function expectCleanFailure(r: { code: number; stderr: string; stdout: string }, file: string, cause: RegExp, code = 65): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBeGreaterThanOrEqual(1);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(3);
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(cause);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  writeFileSync(`${dir}/empty.tflite`, new Uint8Array(0));
  let seed = 7;
  const random = new Uint8Array(4096).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
  writeFileSync(`${dir}/random.tflite`, random);
  writeFileSync(`${dir}/truncated.tflite`, good.subarray(0, Math.floor(good.length / 2)));
  // The root table offset: flipped, it points far outside the file.
  const flipped = Uint8Array.from(good);
  for (let i = 0; i < 4; i++) flipped[i] ^= 0xff;
  writeFileSync(`${dir}/flipped.tflite`, flipped);
  copyFileSync(cat, `${dir}/cat-as-model.tflite`);
  writeFileSync(`${dir}/not-an-image.png`, 'this is text, not a PNG\n');
  // TANH (code 28) is a real TFLite operator that our runtime does not execute.
  const tanh = tinyModel();
  tanh.operator_codes = [{ deprecated_builtin_code: 28, builtin_code: 28 }];
  writeFileSync(`${dir}/tanh.tflite`, encodeModel(tanh));
  // What a clone without Git LFS holds in place of the model.
  writeFileSync(`${dir}/lfs-pointer.tflite`, `version https://git-lfs.github.com/spec/v1\noid sha256:${'4d7a2c'.repeat(10)}abcd\nsize ${good.length}\n`);
  // Named without _edgetpu: the operator, not the name, gives it away.
  writeFileSync(`${dir}/coral.tflite`, edgeTpuModel());
  writeFileSync(`${dir}/vector-input.tflite`, vectorInputModel());
});

describe('classify and inspect with bad input', () => {
  const cases: [string, string, RegExp, number][] = [
    ['a missing model', 'missing.tflite', /no such file/, 66],
    ['an empty model', 'empty.tflite', /empty/, 65],
    ['random bytes', 'random.tflite', /not a TFLite|identifier|TFL3/i, 65],
    ['a truncated model', 'truncated.tflite', /truncated/, 65],
    ['a model with flipped bytes', 'flipped.tflite', /out of range|beyond|outside|points/i, 65],
    ['an image given as a model', 'cat-as-model.tflite', /PNG/, 65],
    ['a model with an unsupported operator', 'tanh.tflite', /TANH/, 65],
    ['a Git LFS pointer', 'lfs-pointer.tflite', /a Git LFS pointer, not the model itself: run git lfs pull/, 65],
    ['a model compiled for the Edge TPU', 'coral.tflite', /compiled for the Edge TPU .*the CPU version of the model/, 65],
    ['a model whose input is not an image', 'vector-input.tflite', /input is 1x1024 uint8, not an image/, 65],
  ];
  it.each(cases)('classify with %s fails cleanly', async (_, name, cause, code) => {
    const r = await runCli(['classify', '--model', `${dir}/${name}`, '--engine', 'js', cat]);
    expectCleanFailure(r, `${dir}/${name}`, cause, code);
    if (name === 'vector-input.tflite') expect(r.stderr).not.toContain(cat);
  });


  it('inspect with a truncated model fails cleanly, saying so', async () => {
    expectCleanFailure(await runCli(['inspect', '--model', `${dir}/truncated.tflite`]), `${dir}/truncated.tflite`, /truncated/);
  });

  it('a model cut in its appended labels still classifies, and says the labels were lost to truncation', async () => {
    writeFileSync(`${dir}/cut-labels.tflite`, good.subarray(0, good.length - 10));
    const r = await runCli(['classify', '--model', `${dir}/cut-labels.tflite`, '--engine', 'js', '--json', cat]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim()).toMatch(new RegExp(`^edge-agent: ${dir}/cut-labels\\.tflite: warning: .*no associated files \\(the file may be truncated\\)$`));
  });

  it('run with a model whose input is not an image exits 65 at start, saying so', async () => {
    writeFileSync(`${dir}/vector.yaml`, `model:\n  file: ${dir}/vector-input.tflite\n`);
    const r = await runCli(['run', '--simulate', '--max-frames', '1', '--config', `${dir}/vector.yaml`, '--data-dir', `${dir}/data`]);
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(/vector-input\.tflite: its input is 1x1024 uint8, not an image/);
  });

  it('an image that is not an image fails cleanly, naming it', async () => {
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--engine', 'js', `${dir}/not-an-image.png`]);
    expectCleanFailure(r, `${dir}/not-an-image.png`, /not an image/);
  });

  it('a missing image fails cleanly, naming it', async () => {
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--engine', 'js', `${dir}/nope.jpg`]);
    expectCleanFailure(r, `${dir}/nope.jpg`, /no such file/, 66);
  });

  it('a bad flag is a usage error', async () => {
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--top', 'many', cat]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--top must be a positive integer/);
  });
});
