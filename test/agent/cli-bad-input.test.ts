// Every kind of bad input ends with a non-zero exit and one to three lines on stderr that
// name the file and the cause, without a stack trace.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel, tinyModel } from '../support/model-builder.js';
import { imagePath, modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync('/tmp/edge-agent-bad-');
const good = readFileSync(modelPath('mobilenet_v1_0.25_128_quant.tflite'));
const cat = imagePath('cat.png');

function expectCleanFailure(r: { code: number; stderr: string; stdout: string }, file: string, cause: RegExp): void {
  expect(r.code, r.stderr).toBeGreaterThanOrEqual(1);
  expect(r.code).toBeLessThanOrEqual(125);
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
  // LOGISTIC (code 14) is a real TFLite operator that our runtime does not execute.
  const logistic = tinyModel();
  logistic.operator_codes = [{ deprecated_builtin_code: 14, builtin_code: 14 }];
  writeFileSync(`${dir}/logistic.tflite`, encodeModel(logistic));
});

describe('classify and inspect with bad input', () => {
  const cases: [string, string, RegExp][] = [
    ['a missing model', 'missing.tflite', /no such file/],
    ['an empty model', 'empty.tflite', /empty/],
    ['random bytes', 'random.tflite', /not a TFLite|identifier|TFL3/i],
    ['a truncated model', 'truncated.tflite', /truncat|out of range|beyond|outside/i],
    ['a model with flipped bytes', 'flipped.tflite', /out of range|beyond|outside|points/i],
    ['an image given as a model', 'cat-as-model.tflite', /PNG/],
    ['a model with an unsupported operator', 'logistic.tflite', /LOGISTIC/],
  ];
  it.each(cases)('classify with %s fails cleanly', async (_, name, cause) => {
    const r = await runCli(['classify', '--model', `${dir}/${name}`, '--engine', 'js', cat]);
    expectCleanFailure(r, `${dir}/${name}`, cause);
  });


  it('inspect with a truncated model fails cleanly', async () => {
    expectCleanFailure(await runCli(['inspect', '--model', `${dir}/truncated.tflite`]), `${dir}/truncated.tflite`, /./);
  });

  it('an image that is not an image fails cleanly, naming it', async () => {
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--engine', 'js', `${dir}/not-an-image.png`]);
    expectCleanFailure(r, `${dir}/not-an-image.png`, /not an image/);
  });

  it('a missing image fails cleanly, naming it', async () => {
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--engine', 'js', `${dir}/nope.jpg`]);
    expectCleanFailure(r, `${dir}/nope.jpg`, /no such file/);
  });

  it('a bad flag is a usage error', async () => {
    const r = await runCli(['classify', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--top', 'many', cat]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--top must be a positive integer/);
  });
});
