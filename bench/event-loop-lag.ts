// `npm run bench:lag`: how responsive the event loop stays while a model infers
// continuously on its worker thread. A timer-driven probe measures event-loop delay
// (perf_hooks) for the whole run, for each engine, with the thread counts given.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession } from '../kernels/session.js';
import { benchInput } from '../agent/cli/bench.js';
import { installDir } from '../agent/install-dir.js';
import { EventLoopLag } from '../agent/telemetry/event-loop-lag.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(installDir, 'models/mobilenet_v2_1.0_224_quant.tflite') },
    seconds: { type: 'string', default: '10' },
    engines: { type: 'string', default: 'native,js' },
    threads: { type: 'string', default: '1,2' },
    json: { type: 'boolean', default: false },
  },
});

const rows: Record<string, unknown>[] = [];
for (const engine of values.engines!.split(',') as ('native' | 'js')[]) {
  for (const threads of values.threads!.split(',').map(Number)) {
    if (engine === 'js' && threads > 1) continue;
    const session = await InferenceSession.open(values.model!, { engine, threads });
    const input = benchInput(session.info);
    await session.run(input);
    // Work on the loop that a real agent would have: a 1 ms timer.
    const ticker = setInterval(() => {}, 1);
    const lag = new EventLoopLag(1);
    const end = Date.now() + Number(values.seconds) * 1000;
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
}
