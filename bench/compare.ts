// `npm run bench:compare`: every shipped model through our native engine, our TypeScript
// engine, real TensorFlow Lite (wasm, XNNPACK) and ONNX Runtime, same weights and same
// pixels, in one run; prints medians, ratios and each engine's peak memory, and records
// them under reports/bench/ for the docs (bench/figures/bench-record.ts).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeInfo } from '../kernels/native/index.js';
import { benchArgs, usageError, wholeNumber } from './bench-args.js';
import { npmCommand, recordBench } from './figures/bench-record.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const USAGE = `usage: npm run bench:compare -- [--runs N] [--threads N,...] [--engines native,js,tflite,onnxruntime]
                                [--models NAME,...] [--json]
  --runs     timed runs per engine and model, after warm-up (default 30; the js engine at most 30)
  --threads  thread counts, comma-separated: each engine runs at each (default 1; js runs one thread only)
  --engines  which engines, comma-separated (default the four); native:PATH is our native engine
             on one kernel path (EDGE_AGENT_KERNEL_PATH=PATH), e.g. native:avx2, and native:* each
             path this CPU runs besides the one native picks and the portable scalar one
  --models   shipped models by name without .tflite (default all five)
  --json     one JSON line instead of the tables`;
const values = benchArgs(USAGE, {
  runs: { type: 'string', default: '30' },
  threads: { type: 'string', default: '1' },
  json: { type: 'boolean', default: false },
  engines: { type: 'string', default: 'native,js,tflite,onnxruntime' },
  models: { type: 'string' },
});
const runsWanted = wholeNumber(USAGE, 'runs', values.runs);
const threadCounts = values.threads!.split(',').map((t) => wholeNumber(USAGE, 'threads', t));

const models = (values.models?.split(',') ?? [
  'mobilenet_v2_1.0_224_quant',
  'mobilenet_v1_1.0_224_quant_embedding_extractor',
  'mobilenet_v1_0.25_128_quant',
  'tf2_mobilenet_v2_1.0_224_ptq',
  'ssd_mobilenet_v1_coco_quant',
]).map((name) => ({
  name,
  tflite: join(root, 'models', `${name}.tflite`),
  onnx: join(root, 'test/fixtures/onnx', `${name}.onnx`),
}));

const ENGINES = ['native', 'js', 'tflite', 'onnxruntime'];
/** The kernel paths native:* stands for. */
function otherPaths(): string[] {
  const info = nativeInfo();
  if ('error' in info) usageError(`--engines: native:* needs the native kernels, which did not load (${info.error})`, USAGE);
  return info.paths.filter((p) => p.available && p.name !== info.best && p.name !== 'scalar').map((p) => `native:${p.name}`);
}
const engines = values.engines!.split(',').flatMap((e) => (e === 'native:*' ? otherPaths() : [e]));
for (const e of engines) {
  if (!ENGINES.includes(e) && !/^native:[\w-]+$/.test(e)) usageError(`--engines: unknown engine ${JSON.stringify(e)} (one of ${ENGINES.join(', ')}, or native:PATH)`, USAGE);
}
for (const m of models) if (!existsSync(m.tflite)) usageError(`--models: no model ${m.tflite}`, USAGE);

interface Row {
  /** What ran, as the engine names itself (e.g. native:amx). */
  engine: string;
  /** The --engines entry that asked for it. */
  option: string;
  threads: number;
  runs: number;
  medianMs: number;
  p95Ms: number;
  /** A detector's postprocess alone, on our engines; null elsewhere. */
  postprocessMs: number | null;
  maxRssBytes: number;
}

function runOne(option: string, model: (typeof models)[number], threads: number): Promise<Row | { error: string }> {
  const [engine, path] = option.split(':');
  const runs = engine === 'js' ? Math.min(runsWanted, 30) : runsWanted;
  const args = [
    join(here, 'compare-one.js'),
    '--engine', engine, '--model', model.tflite, '--onnx', model.onnx,
    '--runs', String(runs), '--threads', String(threads),
  ];
  const env = path === undefined ? process.env : { ...process.env, EDGE_AGENT_KERNEL_PATH: path };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 20, env }, (err, stdout, stderr) => {
      if (err) resolve({ error: (stderr || err.message).trim().split('\n').slice(-1)[0] });
      else {
        const { model: _file, ...row } = JSON.parse(stdout.trim().split('\n').pop()!) as Row & { model: string };
        resolve({ ...row, option });
      }
    });
  });
}

const baseline = await new Promise<number>((resolve) => {
  execFile(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS * 1024))'], (_, out) =>
    resolve(Number(out)),
  );
});

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const results: { model: string; threads: number; rows: (Row & { vsNative: number })[] }[] = [];
for (const model of models) {
  for (const threads of threadCounts) {
    const rows: Row[] = [];
    for (const option of engines) {
      if (option === 'onnxruntime' && !existsSync(model.onnx)) continue;
      if (option === 'js' && threads > 1) continue;
      const r = await runOne(option, model, threads);
      if ('error' in r) {
        process.stderr.write(`${model.name} ${option} (${threads} thread${threads === 1 ? '' : 's'}): ${r.error}\n`);
        continue;
      }
      rows.push(r);
    }
    const ours = rows.find((r) => r.option === 'native') ?? rows[0];
    if (ours === undefined) {
      process.stderr.write(`${model.name}: no engine ran\n`);
      process.exitCode = 1;
      continue;
    }
    if (!values.json) {
      process.stdout.write(`\n${model.name} (${threads} thread${threads === 1 ? '' : 's'}, median of ${runsWanted} runs)\n`);
      const detector = rows.some((r) => r.postprocessMs !== null);
      const postprocess = (r: Row): string => (detector ? ` ${(r.postprocessMs === null ? '-' : r.postprocessMs.toFixed(3)).padStart(15)}` : '');
      process.stdout.write(`  ${'engine'.padEnd(26)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(9)} ${'vs ours'.padStart(8)}${detector ? ` ${'postprocess ms'.padStart(15)}` : ''} ${'peak RSS MiB'.padStart(13)}\n`);
      for (const r of rows) {
        const ratio = r.medianMs / ours.medianMs;
        process.stdout.write(
          `  ${r.engine.padEnd(26)} ${r.medianMs.toFixed(3).padStart(10)} ${r.p95Ms.toFixed(3).padStart(9)} ${(ratio.toFixed(2) + 'x').padStart(8)}${postprocess(r)} ${mb(r.maxRssBytes).padStart(13)}\n`,
        );
      }
    }
    results.push({ model: basename(model.tflite), threads, rows: rows.map((r) => ({ ...r, vsNative: r.medianMs / ours.medianMs })) });
  }
}
const figures = { nodeBaselineRssBytes: baseline, runs: runsWanted, results };
const recorded = recordBench(npmCommand('bench:compare'), figures);
if (values.json) process.stdout.write(JSON.stringify(figures) + '\n');
else {
  process.stdout.write(`\nA bare Node.js process peaks at ${mb(baseline)} MiB; "vs ours" is each engine's median over our native engine's.\n`);
  process.stdout.write(`Recorded in ${recorded}.\n`);
}
