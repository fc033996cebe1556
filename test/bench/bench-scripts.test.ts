// The benchmark scripts as a user runs them (compiled, in child processes): a short real
// comparison produces a row per engine with its timing and memory, and bad command lines
// are one clear line and the usage, never a stack trace. Speed itself is not asserted
// here: that is what the benchmarks are for.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.js';
import { runNode, type CliResult } from '../support/run-cli.js';

const bench = (script: string, args: string[]): Promise<CliResult> => runNode(join(repoRoot, 'dist/bench', script), args);

describe('bench:compare', () => {
  it('times our native engine beside real TFLite and ONNX Runtime on the same model', async () => {
    const r = await bench('compare.js', ['--models', 'mobilenet_v1_0.25_128_quant', '--engines', 'native,tflite,onnxruntime', '--runs', '3', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { model: string; rows: { engine: string; medianMs: number; maxRssBytes: number; vsNative: number }[] }[] };
    expect(out.results).toHaveLength(1);
    const rows = out.results[0].rows;
    expect(rows).toHaveLength(3);
    expect(rows[0].engine).toMatch(/^native:/);
    expect(rows[1].engine).toMatch(/^tflite-wasm/);
    expect(rows[2].engine).toMatch(/^onnxruntime/);
    for (const row of rows) {
      expect(row.medianMs).toBeGreaterThan(0);
      expect(row.maxRssBytes).toBeGreaterThan(20 * 2 ** 20);
    }
    expect(rows[0].vsNative).toBe(1);
  });

  it('includes the detector, with our engines\' postprocess timed on its own', async () => {
    const r = await bench('compare.js', ['--models', 'ssd_mobilenet_v1_coco_quant', '--engines', 'native,tflite', '--runs', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { model: string; rows: { engine: string; medianMs: number; postprocessMs: number | null }[] }[] };
    expect(out.results[0].model).toBe('ssd_mobilenet_v1_coco_quant.tflite');
    const [native, tflite] = out.results[0].rows;
    expect(native.engine).toMatch(/^native:/);
    expect(native.postprocessMs).toBeGreaterThan(0);
    expect(native.postprocessMs).toBeLessThan(native.medianMs);
    expect(tflite.engine).toMatch(/^tflite-wasm/);
    expect(tflite.medianMs).toBeGreaterThan(0);
    expect(tflite.postprocessMs).toBeNull();
  });

  it.each([
    [['--bogus'], /^Unknown option '--bogus'/],
    [['--runs', 'x'], /^--runs must be a whole number of at least 1, got "x"/],
    [['--engines', 'native,tensorrt'], /^--engines: unknown engine "tensorrt"/],
    [['--models', 'no_such_model'], /^--models: no model .*no_such_model\.tflite/],
  ])('refuses %j with one line and the usage, exit 2', async (args, message) => {
    const r = await bench('compare.js', args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: npm run bench:compare');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bench:lag', () => {
  it.each([
    [['--threads', '1,0'], /^--threads must be a whole number of at least 1, got "0"/],
    [['--engines', 'gpu'], /^--engines: unknown engine "gpu"/],
  ])('refuses %j with one line and the usage, exit 2', async (args, message) => {
    const r = await bench('event-loop-lag.js', args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: npm run bench:lag');
  });

  it('names a model that does not load, exit 1', async () => {
    const r = await bench('event-loop-lag.js', ['--model', join(repoRoot, 'samples/cat.png'), '--seconds', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cat.png');
  });
});
