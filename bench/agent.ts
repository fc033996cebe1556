// `npm run bench:agent`: the whole agent at a camera's pace. `edge-agent run --simulate`
// (the sample images, MobileNet v2 by default, 10 fps) publishes to a real mosquitto on
// loopback, started here as the tests start theirs, while a QoS 1 subscriber takes every
// result. Prints results per second, capture-to-recorded latency (each result's
// latencyMs.total), frame-to-subscriber latency (the subscriber's receive time minus the
// result's ts, one clock), the agent's resident memory after warm-up and at the end, and
// the size of what it publishes; records them under reports/bench/ for the docs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';
import { installDir } from '../agent/core/install-dir.js';
import { median, percentile } from '../agent/telemetry/stats.js';
import { Mosquitto } from '../test/support/mosquitto.js';
import { benchArgs, runBench, usageError, wholeNumber } from './bench-args.js';
import { npmCommand, recordBench } from './figures/bench-record.js';

const USAGE = `usage: npm run bench:agent -- [--seconds N] [--warmup N] [--fps N] [--model FILE] [--labels FILE] [--json]
  --seconds  how long the agent runs, from when it says it is running (default 60)
  --warmup   seconds at the start left out of the figures (default 10; less than --seconds)
  --fps      frames per second (default 10)
  --model    the .tflite file (default models/mobilenet_v2_1.0_224_quant.tflite); a detector
             such as models/ssd_mobilenet_v1_coco_quant.tflite runs with objects tracked
  --labels   its labels file (models/coco_labels.txt for the detector)
  --json     one JSON line instead of the table`;
const values = benchArgs(USAGE, {
  seconds: { type: 'string', default: '60' },
  warmup: { type: 'string', default: '10' },
  fps: { type: 'string', default: '10' },
  model: { type: 'string', default: join(installDir, 'models/mobilenet_v2_1.0_224_quant.tflite') },
  labels: { type: 'string' },
  json: { type: 'boolean', default: false },
});
const seconds = wholeNumber(USAGE, 'seconds', values.seconds);
const warmup = wholeNumber(USAGE, 'warmup', values.warmup, 0);
const fps = wholeNumber(USAGE, 'fps', values.fps);
if (warmup >= seconds) usageError(`--warmup (${warmup}) must be less than --seconds (${seconds})`, USAGE);

const DEVICE = 'bench-agent';

interface Arrival {
  seq: number;
  /** When the camera delivered the frame (the result's ts), ms since the epoch. */
  capturedAt: number;
  receivedAt: number;
  totalMs: number;
  engine: string;
  bytes: number;
  /** A detector's objects in the result; null for a classifier. */
  objects: number | null;
}

/** CPU time process `pid` has used, all its threads (the inference worker's too), in ms. */
function cpuMs(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Resident memory of process `pid` in MB. */
function rssMb(pid: number): number {
  return Math.round(Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' })) / 1024);
}

const round = (x: number, places = 1): number => Math.round(x * 10 ** places) / 10 ** places;

runBench(async () => {
  const broker = await Mosquitto.start({ persistence: false });
  const dataDir = mkdtempSync(join(tmpdir(), 'edge-agent-bench-'));
  const subscriber = await connectAsync(broker.url, { clientId: 'bench-subscriber' });
  const arrivals: Arrival[] = [];
  const telemetryBytes: number[] = [];
  subscriber.on('message', (topic, payload) => {
    const receivedAt = Date.now();
    if (topic.endsWith('/telemetry')) {
      telemetryBytes.push(payload.length);
      return;
    }
    const r = JSON.parse(payload.toString()) as { seq: number; ts: string; engine: string; latencyMs: { total: number }; objects?: unknown[] };
    arrivals.push({ seq: r.seq, capturedAt: Date.parse(r.ts), receivedAt, totalMs: r.latencyMs.total, engine: r.engine, bytes: payload.length, objects: r.objects?.length ?? null });
  });
  await subscriber.subscribeAsync([`edge/${DEVICE}/result`, `edge/${DEVICE}/telemetry`], { qos: 1 });

  const agent = spawn(
    process.execPath,
    [join(installDir, 'bin/edge-agent'), 'run', '--simulate', '--fps', String(fps), '--model', values.model!, ...(values.labels ? ['--labels', values.labels] : []),
      '--mqtt-url', broker.url, '--data-dir', dataDir, '--device-id', DEVICE, '--log-format', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-20_000));
  agent.stdout.on('data', keep);
  agent.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
  try {
    while (!output.includes('"msg":"edge-agent running"')) {
      if (agent.exitCode !== null) throw new Error(`the agent exited (code ${agent.exitCode}) before it ran:\n${output.slice(-2000)}`);
      await sleep(50);
    }
    const start = Date.now();
    await sleep(warmup * 1000);
    const rssAfterWarmup = rssMb(agent.pid!);
    const cpuAtWarmup = cpuMs(agent.pid!);
    await sleep((seconds - warmup) * 1000);
    const rssAtEnd = rssMb(agent.pid!);
    const cpuInWindow = cpuMs(agent.pid!) - cpuAtWarmup;
    const windowStart = start + warmup * 1000;
    const windowEnd = start + seconds * 1000;
    agent.kill('SIGTERM');
    const patience = new AbortController();
    const code = await Promise.race([exited, sleep(15_000, 'timeout' as const, { signal: patience.signal })]);
    patience.abort();
    if (code !== 0) throw new Error(`the agent did not stop cleanly on SIGTERM (${code === 'timeout' ? 'still running after 15 s' : `exit ${code}`}):\n${output.slice(-2000)}`);
    // It delivered what was outstanding before it exited; give the last ones time to reach the subscriber.
    await sleep(500);

    const inWindow = arrivals.filter((a) => a.capturedAt >= windowStart && a.capturedAt < windowEnd);
    if (inWindow.length === 0) throw new Error(`no result was captured in the ${seconds - warmup} s after warm-up:\n${output.slice(-2000)}`);
    const seqs = new Set(arrivals.map((a) => a.seq));
    const highest = Math.max(...seqs);
    const total = inWindow.map((a) => a.totalMs);
    const delivery = inWindow.map((a) => a.receivedAt - a.capturedAt);
    const figures = {
      model: basename(values.model!),
      engine: inWindow[0].engine,
      fps,
      seconds,
      warmupSeconds: warmup,
      results: inWindow.length,
      resultsPerSecond: round(inWindow.length / (seconds - warmup), 2),
      resultsMissing: highest + 1 - seqs.size,
      captureToRecordedMs: { p50: round(median(total)), p95: round(percentile(total, 95)) },
      frameToSubscriberMs: { p50: round(median(delivery)), p95: round(percentile(delivery, 95)) },
      cpuMsPerResult: round(cpuInWindow / inWindow.length),
      objectsPerResult: inWindow[0].objects === null ? null : round(inWindow.reduce((n, a) => n + (a.objects ?? 0), 0) / inWindow.length, 2),
      rssMb: { afterWarmup: rssAfterWarmup, atEnd: rssAtEnd },
      resultBytes: { min: Math.min(...inWindow.map((a) => a.bytes)), max: Math.max(...inWindow.map((a) => a.bytes)) },
      telemetryBytes: telemetryBytes.length > 0 ? { min: Math.min(...telemetryBytes), max: Math.max(...telemetryBytes) } : null,
    };
    const recorded = recordBench(npmCommand('bench:agent'), figures);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      return;
    }
    const rows: [string, string][] = [
      ['model, engine', `${figures.model}, ${figures.engine}`],
      [`results per second (at --fps ${fps})`, String(figures.resultsPerSecond)],
      ['results after warm-up / missing', `${figures.results} / ${figures.resultsMissing}`],
      ['capture to recorded p50 / p95 (ms)', `${figures.captureToRecordedMs.p50} / ${figures.captureToRecordedMs.p95}`],
      ['frame to subscriber p50 / p95 (ms)', `${figures.frameToSubscriberMs.p50} / ${figures.frameToSubscriberMs.p95}`],
      ['CPU per result, all threads (ms)', String(figures.cpuMsPerResult)],
      ...(figures.objectsPerResult === null ? [] : [['objects per result (detector)', String(figures.objectsPerResult)] as [string, string]]),
      ['agent RSS after warm-up / at the end (MB)', `${rssAfterWarmup} / ${rssAtEnd}`],
      ['result payload (bytes)', `${figures.resultBytes.min}-${figures.resultBytes.max}`],
      ['telemetry payload (bytes)', figures.telemetryBytes ? `${figures.telemetryBytes.min}-${figures.telemetryBytes.max}` : 'none in the run'],
    ];
    process.stdout.write(`edge-agent run --simulate --fps ${fps} against mosquitto on loopback: ${seconds} s, the first ${warmup} s left out\n`);
    for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(44)} ${value}\n`);
    process.stdout.write(`Recorded in ${recorded}.\n`);
  } finally {
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGKILL');
      await exited;
    }
    await subscriber.endAsync(true);
    await broker.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
