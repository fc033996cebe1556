// One engine on one model, in a process of its own so that its peak resident memory is
// its own: prints one JSON line {engine, model, runs, medianMs, p95Ms, postprocessMs,
// maxRssBytes}. postprocessMs is a detector's TFLite_Detection_PostProcess alone (the
// median of as many profiled runs) on our engines, null elsewhere.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { median, percentile } from '../agent/telemetry/stats.js';
import { loadRuntime } from '../kernels/runtime.js';
import { loadModelFile } from '../kernels/tflite/reader.js';
import { OnnxRuntimeRunner } from './peers/onnx-runtime.js';
import { TfliteWasmRunner } from './peers/tflite-wasm.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string' },
    model: { type: 'string' },
    onnx: { type: 'string' },
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1' },
  },
});
const engine = values.engine!;
const modelFile = values.model!;
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const threads = Number(values.threads);

const model = await loadModelFile(modelFile);
const inputTensor = model.tensors[model.inputs[0]];
const count = inputTensor.shape.reduce((a, b) => a * b, 1);
// The same pixels for every engine: a fixed pseudo-random image.
const pixels = Uint8Array.from({ length: count }, (_, i) => Math.imul(i, 2654435761) >>> 24);

async function timed(run: () => unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times;
}

let times: number[];
let label = engine;
let postprocessMs: number | null = null;
switch (engine) {
  case 'native':
  case 'js': {
    const runtime = await loadRuntime(modelFile, { engine, threads });
    label = runtime.engine;
    times = await timed(() => runtime.run(pixels));
    const step = runtime.plan.steps.findIndex((s) => s.kind === 'detectionPostprocess');
    if (step >= 0) postprocessMs = median(Array.from({ length: runs }, () => runtime.runProfiled(pixels).stepMs[step]));
    break;
  }
  case 'tflite': {
    const runner = await TfliteWasmRunner.create(await readFile(modelFile), threads);
    runner.input().set(pixels);
    times = await timed(() => runner.infer());
    label = 'tflite-wasm (XNNPACK)';
    break;
  }
  case 'onnxruntime': {
    const runner = await OnnxRuntimeRunner.create(values.onnx!, threads);
    times = await timed(() => runner.run(pixels, inputTensor.shape));
    label = `onnxruntime-node ${runner.version}`;
    break;
  }
  default:
    throw new Error(`unknown engine ${engine}`);
}
const round = (x: number): number => Math.round(x * 1000) / 1000;
process.stdout.write(
  JSON.stringify({
    engine: label,
    model: modelFile,
    threads,
    runs,
    medianMs: round(median(times)),
    p95Ms: round(percentile(times, 95)),
    postprocessMs: postprocessMs === null ? null : round(postprocessMs),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }) + '\n',
);
