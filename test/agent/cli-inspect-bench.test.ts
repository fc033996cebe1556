import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { edgeTpuModel, emptyPairModel, softmaxOnlyModel } from '../support/small-models.js';
import { encodeModel, tinyModel } from '../support/model-builder.js';

const dir = mkdtempSync('/tmp/edge-agent-inspect-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scratchModel(name: string, bytes: Uint8Array): string {
  writeFileSync(`${dir}/${name}`, bytes);
  return `${dir}/${name}`;
}

const inspect = async (name: string) => {
  const r = await runCli(['inspect', '--model', modelPath(name), '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

const within = (actual: number, published: number, tolerance: number) =>
  expect(Math.abs(actual - published) / published, `${actual} vs ${published}`).toBeLessThan(tolerance);

describe('edge-agent inspect', () => {
  it('MobileNet v2 1.0 224: about 300 M MACs and 3.4 M parameters (published)', async () => {
    const { totals, pairs, layers } = await inspect('mobilenet_v2_1.0_224_quant.tflite');
    within(totals.macs, 300e6, 0.02);
    within(totals.params, 3.47e6, 0.03);
    expect(pairs).toHaveLength(17);
    expect(layers[0]).toMatchObject({ op: 'CONV_2D', kernel: [3, 3], stride: [2, 2], outputShape: [1, 112, 112, 32] });
    expect(totals.standardConvMacs).toBeGreaterThan(totals.macs);
  });

  it('MobileNet v1 1.0 224 (the embedding extractor plus the 1024x1001 classifier it lacks): 569 M MACs, 4.2 M parameters', async () => {
    const { totals, pairs } = await inspect('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
    const classifierMacs = 1024 * 1001;
    const classifierParams = 1024 * 1001 + 1001;
    within(totals.macs + classifierMacs, 569e6, 0.01);
    within(totals.params + classifierParams, 4.2e6, 0.02);
    expect(pairs).toHaveLength(13);
  });

  it('each depthwise + pointwise pair is costed against one standard convolution', async () => {
    const { pairs, layers, totals } = await inspect('mobilenet_v1_0.25_128_quant.tflite');
    for (const p of pairs) {
      const k = p.kernel;
      expect(p.params).toBe(p.inputC * k * k + p.inputC * p.outputC);
      expect(p.standardParams).toBe(p.inputC * p.outputC * k * k);
      expect(p.macs).toBe(p.inputC * k * k * p.outputH * p.outputW + p.inputC * p.outputC * p.outputH * p.outputW);
      expect(p.standardMacs).toBe(p.inputC * p.outputC * k * k * p.outputH * p.outputW);
      expect(p.macs).toBe(layers[p.depthwise].macs + layers[p.pointwise].macs);
    }
    const extra = pairs.reduce((a: number, p: any) => a + p.standardMacs - p.macs, 0);
    expect(totals.standardConvMacs).toBe(totals.macs + extra);
  });

  it('--json says the model runs here and the size of its activation arena', async () => {
    const info = await inspect('mobilenet_v1_0.25_128_quant.tflite');
    expect(info).toMatchObject({ runnable: true, reason: null, unsupportedOperators: [] });
    // The largest activations live together: 64x64x8 in, 64x64x8 out of the first depthwise layer.
    expect(info.arenaBytes).toBeGreaterThanOrEqual(2 * 64 * 64 * 8);
    const text = await runCli(['inspect', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite')]);
    expect(text.stdout).toContain(`activation arena ${(info.arenaBytes / 1024).toFixed(0)} KiB`);
  });

  it('--json says which operators keep a model from running here, and why', async () => {
    const tanh = tinyModel();
    tanh.operator_codes = [{ deprecated_builtin_code: 28, builtin_code: 28 }];
    const cases: [string, Uint8Array, string[], RegExp][] = [
      ['tanh.tflite', encodeModel(tanh), ['TANH'], /unsupported operator TANH/],
      ['coral.tflite', edgeTpuModel(), ['CUSTOM:edgetpu-custom-op'], /compiled for the Edge TPU/],
      ['empty.tflite', emptyPairModel(), [], /does not fit a 0x0 input/],
    ];
    for (const [name, bytes, operators, reason] of cases) {
      const r = await runCli(['inspect', '--model', scratchModel(name, bytes), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout);
      expect(info, name).toMatchObject({ runnable: false, arenaBytes: null, unsupportedOperators: operators });
      expect(info.reason, name).toMatch(reason);
    }
  });

  it('never prints NaN: a model with no MACs, and a depthwise + pointwise pair on tensors with no elements', async () => {
    for (const [name, bytes] of [['softmax.tflite', softmaxOnlyModel()], ['empty.tflite', emptyPairModel()]] as const) {
      const file = scratchModel(name, bytes);
      for (const args of [['--json'], []]) {
        const r = await runCli(['inspect', '--model', file, ...args]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout, `${name} ${args}`).not.toMatch(/NaN|Infinity/);
        // A pair that does no work saves nothing measurable: null, where the ratio would be 0/0.
        if (args.length > 0 && name === 'empty.tflite') expect(JSON.parse(r.stdout).pairs).toMatchObject([{ macs: 0, standardMacs: 0, saving: null }]);
      }
    }
  });

  it('prints a readable table without --json', async () => {
    const r = await runCli(['inspect', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DEPTHWISE_CONV_2D/);
    expect(r.stdout).toMatch(/Totals: .* parameters, .* MACs, activation arena \d+ KiB/);
    expect(r.stdout).toMatch(/save \d+\.\dx in MACs/);
  });
});

describe('edge-agent bench', () => {
  it('--json ends with the documented summary line', async () => {
    const model = modelPath('mobilenet_v1_0.25_128_quant.tflite');
    const r = await runCli(['bench', '--model', model, '--engine', 'js', '--runs', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last).toMatchObject({ model, engine: 'js', threads: 1, runs: 3 });
    expect(last.medianMs).toBeGreaterThan(0);
    expect(last.p95Ms).toBeGreaterThanOrEqual(last.medianMs);
    expect(last.layers.length).toBeGreaterThan(20);
    const conv = last.layers.find((l: any) => l.op === 'CONV_2D');
    expect(conv.macs).toBeGreaterThan(0);
    expect(conv.shape).toMatch(/128x128x3 -> 64x64x8 k3x3 s2/);
  });

  it('prints a per-layer table and the end-to-end median', async () => {
    const r = await runCli(['bench', '--model', modelPath('mobilenet_v1_0.25_128_quant.tflite'), '--engine', 'js', '--runs', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/GMAC\/s/);
    expect(r.stdout).toMatch(/median \d+\.\d{3} ms, p95 \d+\.\d{3} ms/);
  });
});
