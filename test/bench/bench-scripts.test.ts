// The benchmark scripts as a user runs them (compiled, in child processes): a short real
// comparison produces a row per engine with its timing and memory, a short run of the agent
// gives its rates, latencies and memory, each run is recorded under reports/bench/ with the
// command that printed it, and bad command lines are one clear line and the usage, never a
// stack trace. Speed itself is not asserted here: that is what the benchmarks are for.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBenchRecords } from '../../bench/figures/bench-record.js';
import { repoRoot } from '../support/paths.js';
import { runNode, type CliResult } from '../support/run-cli.js';

const bench = (script: string, args: string[]): Promise<CliResult> => runNode(join(repoRoot, 'dist/bench', script), args);

describe('bench:compare', () => {
  it('times our native engine beside real TFLite and ONNX Runtime on the same model', async () => {
    const args = ['--models', 'mobilenet_v1_0.25_128_quant', '--engines', 'native,native:scalar,tflite,onnxruntime', '--runs', '3'];
    const r = await bench('compare.js', [...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { model: string; threads: number; rows: { engine: string; option: string; medianMs: number; maxRssBytes: number; vsNative: number }[] }[] };
    expect(out.results).toHaveLength(1);
    expect(out.results[0].threads).toBe(1);
    const rows = out.results[0].rows;
    expect(rows.map((row) => row.option)).toEqual(['native', 'native:scalar', 'tflite', 'onnxruntime']);
    expect(rows[0].engine).toMatch(/^native:/);
    expect(rows[1].engine).toBe('native:scalar');
    expect(rows[2].engine).toMatch(/^tflite-wasm/);
    expect(rows[3].engine).toMatch(/^onnxruntime/);
    for (const row of rows) {
      expect(row.medianMs).toBeGreaterThan(0);
      expect(row.maxRssBytes).toBeGreaterThan(20 * 2 ** 20);
    }
    expect(rows[0].vsNative).toBe(1);

    const record = readBenchRecords().get(`npm run bench:compare -- ${args.join(' ')}`);
    expect(record?.figures).toEqual(out);
    expect(record?.provenance.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(record?.provenance.node).toBe(process.version);
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
    [['--threads', '1,0'], /^--threads must be a whole number of at least 1, got "0"/],
    [['--engines', 'native,tensorrt'], /^--engines: unknown engine "tensorrt"/],
    [['--engines', 'native:'], /^--engines: unknown engine "native:"/],
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

describe('bench:agent', () => {
  it('runs the agent against mosquitto and prints its rate, latencies and memory', async () => {
    const args = ['--seconds', '5', '--warmup', '2'];
    const r = await bench('agent.js', [...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      engine: string; fps: number; results: number; resultsPerSecond: number; resultsMissing: number;
      captureToRecordedMs: { p50: number; p95: number }; frameToSubscriberMs: { p50: number; p95: number };
      rssMb: { afterWarmup: number; atEnd: number }; resultBytes: { min: number; max: number };
    };
    expect(out.engine).toMatch(/^native:/);
    expect(out.fps).toBe(10);
    expect(out.results).toBeGreaterThan(0);
    expect(out.resultsPerSecond).toBeGreaterThan(0);
    expect(out.resultsPerSecond).toBeLessThanOrEqual(out.fps * 1.5);
    expect(out.resultsMissing).toBe(0);
    for (const latency of [out.captureToRecordedMs, out.frameToSubscriberMs]) {
      expect(latency.p50).toBeGreaterThan(0);
      expect(latency.p95).toBeGreaterThanOrEqual(latency.p50);
    }
    // A result reaches the subscriber after it was recorded.
    expect(out.frameToSubscriberMs.p50).toBeGreaterThanOrEqual(out.captureToRecordedMs.p50);
    expect(out.rssMb.afterWarmup).toBeGreaterThan(20);
    expect(out.rssMb.atEnd).toBeGreaterThan(20);
    expect(out.resultBytes.min).toBeGreaterThan(100);
    expect(readBenchRecords().get(`npm run bench:agent -- ${args.join(' ')}`)?.figures).toEqual(out);
  });

  it.each([
    [['--warmup', '60'], /^--warmup \(60\) must be less than --seconds \(60\)/],
    [['--fps', '0'], /^--fps must be a whole number of at least 1, got "0"/],
  ])('refuses %j with one line and the usage, exit 2', async (args, message) => {
    const r = await bench('agent.js', args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: npm run bench:agent');
  });
});
