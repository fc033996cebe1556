// `npm run bench:lag`: how responsive the event loop stays while a model infers
// continuously on its worker thread. A timer-driven probe measures event-loop delay
// (perf_hooks) for the whole run, for each engine, with the thread counts given; the figures
// are also recorded under reports/bench/ for the docs.
import { basename, join } from 'node:path';
import { InferenceSession } from '../kernels/session.js';
import { benchInput } from '../agent/cli/bench.js';
import { installDir } from '../agent/core/install-dir.js';
import { EventLoopLag } from '../agent/telemetry/event-loop-lag.js';
import { benchArgs, runBench, usageError, wholeNumber } from './bench-args.js';
import { npmCommand, recordBench } from './figures/bench-record.js';

const USAGE = `usage: npm run bench:lag -- [--model FILE] [--seconds N] [--engines native,js] [--threads 1,2] [--json]
  --model    the .tflite file (default models/mobilenet_v2_1.0_224_quant.tflite)
  --seconds  how long each row infers back to back (default 10)
  --engines  native, js or both, comma-separated (default both; js runs one thread only)
  --threads  thread counts, comma-separated (default 1,2)
  --json     one JSON line instead of the table`;
const values = benchArgs(USAGE, {
  model: { type: 'string', default: join(installDir, 'models/mobilenet_v2_1.0_224_quant.tflite') },
  seconds: { type: 'string', default: '10' },
  engines: { type: 'string', default: 'native,js' },
  threads: { type: 'string', default: '1,2' },
  json: { type: 'boolean', default: false },
});
const seconds = wholeNumber(USAGE, 'seconds', values.seconds);
const threadCounts = values.threads!.split(',').map((t) => wholeNumber(USAGE, 'threads', t));
const engines = values.engines!.split(',');
for (const e of engines) if (e !== 'native' && e !== 'js') usageError(`--engines: unknown engine ${JSON.stringify(e)} (native or js)`, USAGE);

runBench(async () => {
  const rows: Record<string, unknown>[] = [];
  for (const engine of engines as ('native' | 'js')[]) {
    for (const threads of threadCounts) {
      if (engine === 'js' && threads > 1) continue;
      const session = await InferenceSession.open(values.model!, { engine, threads });
      const input = benchInput(session.info);
      await session.run(input);
      // Work on the loop that a real agent would have: a 1 ms timer.
      const ticker = setInterval(() => {}, 1);
      const lag = new EventLoopLag(1);
      const end = Date.now() + seconds * 1000;
      let inferences = 0;
      const start = performance.now();
      while (Date.now() < end) {
        await session.run(input);
        inferences++;
      }
      const elapsed = performance.now() - start;
      const lagMs = lag.figures();
      lag.stop();
      clearInterval(ticker);
      await session.close();
      rows.push({
        engine: session.info.engine,
        threads,
        inferences,
        inferenceMs: Math.round((elapsed / inferences) * 100) / 100,
        lagMs,
      });
    }
  }
  const recorded = recordBench(npmCommand('bench:lag'), { model: basename(values.model!), seconds, rows });
  if (values.json) {
    process.stdout.write(JSON.stringify(rows) + '\n');
  } else {
    process.stdout.write(`${values.model}: inferring back to back for ${values.seconds} s per row\n`);
    process.stdout.write(`${'engine'.padEnd(22)} threads  inferences  ms/inference  lag p50   p99   max (ms)\n`);
    for (const r of rows as { engine: string; threads: number; inferences: number; inferenceMs: number; lagMs: { p50: number; p99: number; max: number } }[]) {
      process.stdout.write(
        `${r.engine.padEnd(22)} ${String(r.threads).padStart(7)}  ${String(r.inferences).padStart(10)}  ${r.inferenceMs.toFixed(2).padStart(12)}  ${r.lagMs.p50.toFixed(2).padStart(7)} ${r.lagMs.p99.toFixed(2).padStart(5)} ${r.lagMs.max.toFixed(2).padStart(5)}\n`,
      );
    }
    process.stdout.write(`Recorded in ${recorded}.\n`);
  }
});
