import { Command } from 'commander';
import type { EngineChoice } from '../../kernels/engine.js';
import type { TensorValues } from '../../kernels/graph/executor.js';
import type { ModelInfo } from '../../kernels/model-info.js';
import type { InferenceSession } from '../../kernels/session.js';
import { openSessionForCli } from './open-session.js';
import { median, percentile } from '../telemetry/stats.js';
import { engineOption, nonNegativeInteger, positiveInteger, threadsOption } from './options.js';

interface BenchOptions {
  model: string;
  engine: EngineChoice;
  threads: number;
  runs: number;
  warmup: number;
  json?: boolean;
}

export interface LayerTiming {
  index: number;
  op: string;
  shape: string;
  macs: number;
  ms: number;
  gmacs: number;
}

/** A deterministic input with the model's size and type: pixels vary so no kernel can shortcut. */
export function benchInput(info: ModelInfo): TensorValues {
  const count = info.input.shape.reduce((a, b) => a * b, 1);
  const byte = (i: number): number => (Math.imul(i, 2654435761) >>> 24);
  const type = info.input.type;
  if (type === 'float32') return Float32Array.from({ length: count }, (_, i) => byte(i) / 127.5 - 1);
  if (type === 'int8') return Int8Array.from({ length: count }, (_, i) => byte(i) - 128);
  return Uint8Array.from({ length: count }, (_, i) => byte(i));
}

/**
 * Times inference on the session's worker: the total is the kernels' wall time per run
 * (the sum of the steps), so the hand-over between threads is not counted.
 */
export async function benchmark(session: InferenceSession, runs: number, warmup: number) {
  const input = benchInput(session.info);
  for (let i = 0; i < warmup; i++) await session.run(input);
  const totals: number[] = [];
  const perStep: number[][] = session.info.steps.map(() => []);
  for (let r = 0; r < runs; r++) {
    const { stepMs = [] } = await session.profile(input);
    totals.push(stepMs.reduce((a, b) => a + b, 0));
    stepMs.forEach((ms, i) => perStep[i].push(ms));
  }
  const layers: LayerTiming[] = session.info.steps.map((step, i) => {
    const ms = median(perStep[i]);
    return {
      index: step.index,
      op: step.op,
      shape: step.shape,
      macs: step.macs,
      ms: round(ms, 4),
      gmacs: ms > 0 ? round(step.macs / ms / 1e6, 2) : 0,
    };
  });
  return { medianMs: round(median(totals), 3), p95Ms: round(percentile(totals, 95), 3), layers };
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function printLayers(layers: LayerTiming[]): void {
  const shapeWidth = Math.max(5, ...layers.map((l) => l.shape.length));
  const lines = [`${'#'.padStart(3)}  ${'operator'.padEnd(18)}  ${'shape'.padEnd(shapeWidth)}  ${'MMACs'.padStart(8)}  ${'ms'.padStart(8)}  GMAC/s`];
  for (const l of layers) {
    lines.push(
      `${String(l.index).padStart(3)}  ${l.op.padEnd(18)}  ${l.shape.padEnd(shapeWidth)}  ${(l.macs / 1e6).toFixed(2).padStart(8)}  ${l.ms.toFixed(3).padStart(8)}  ${l.macs ? l.gmacs.toFixed(2) : ''}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

export const benchCommand = new Command('bench')
  .description('time inference (no decode, no resize) and print a per-layer profile')
  .requiredOption('--model <file>', 'the .tflite model')
  .addOption(engineOption())
  .addOption(threadsOption())
  .option('--runs <n>', 'timed runs', positiveInteger('--runs'), 30)
  .option('--warmup <n>', 'untimed runs first (0: time from the first run)', nonNegativeInteger('--warmup'), 3)
  .option('--json', 'print the summary as one JSON line last')
  .action(async (o: BenchOptions) => {
    const session = await openSessionForCli(o.model, o.engine, o.threads);
    const result = await benchmark(session, o.runs, o.warmup).finally(() => session.close());
    const { info } = session;
    if (!o.json) {
      printLayers(result.layers);
      const macs = info.steps.reduce((a, s) => a + s.macs, 0);
      process.stdout.write(
        `\n${o.model}: ${info.engine}, ${o.threads} thread${o.threads > 1 ? 's' : ''}, ${o.runs} runs: ` +
          `median ${result.medianMs.toFixed(3)} ms, p95 ${result.p95Ms.toFixed(3)} ms, ` +
          `${(macs / 1e6).toFixed(1)} M MACs, ${(macs / result.medianMs / 1e6).toFixed(2)} GMAC/s, arena ${(info.arenaBytes / 1024).toFixed(0)} KiB\n`,
      );
      return;
    }
    const summary = {
      model: o.model,
      engine: info.engine,
      threads: o.threads,
      runs: o.runs,
      medianMs: result.medianMs,
      p95Ms: result.p95Ms,
      arenaBytes: info.arenaBytes,
      layers: result.layers,
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
  });
