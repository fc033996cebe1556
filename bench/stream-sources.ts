// `npm run bench:streams`: each stream source at 1280x720 and 25 fps, on loopback, read as
// the agent reads it (the camera the factory builds, newest frame wins) and classified back
// to back, for each model. Per source and model it prints results per second, the share of
// the stream's frames that became results, capture-to-result latency p50/p95 (from the
// frame reaching the agent to its scores), CPU per frame split into the capture program
// (demux, and decode/scale or encode in ffmpeg or rpicam-vid), preprocessing in the agent
// (JPEG decode with shrink-on-load and the resize, fused by libvips into one pass, or the
// raw conversion) and inference, and the frames dropped by newest-wins. libvips fuses the
// decode and the resize, so they are taken apart afterwards on the stream's last JPEG frame,
// off the stream: a full-size decode, the resize of that raw frame, and the fused path,
// whose saving over the two is what shrink-on-load (and the fusing) bring; and the scale
// libjpeg decoded the frame at in the fused path, as libvips reports it (jpeg-load-scale.ts).
//
// The parts: an HTTP MJPEG server in this process (ffmpeg's testsrc2 frames, made once);
// rtsp-server-perl with ffmpeg publishing H.264 (libx264, ultrafast); the stand-in
// rpicam-vid of test/fixtures/camera/stream-bin, whose ffmpeg encodes the test pattern. The
// servers and the stand-in's encoder share the machine with the agent, as they would not on
// a real camera: the figures are a floor.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { InferenceSession } from '../kernels/session.js';
import type { Camera } from '../agent/camera/camera.js';
import { createCamera } from '../agent/camera/factory.js';
import { frameImage } from '../agent/camera/raw-image.js';
import { loadConfig } from '../agent/config/load.js';
import { installDir } from '../agent/core/install-dir.js';
import { createAgentContext } from '../agent/core/context.js';
import { defaultPreprocess, imageToTensor, type InputSpec } from '../agent/pipeline/preprocess.js';
import { percentile } from '../agent/telemetry/stats.js';
import { benchArgs, runBench, wholeNumber } from './bench-args.js';
import { jpegLoadScale } from './jpeg-load-scale.js';
import { npmCommand, recordBench } from './figures/bench-record.js';
import { streamTable, type JpegSplit, type StreamFigures, type StreamRow } from './figures/streams.js';

const USAGE = `usage: npm run bench:streams -- [--seconds N] [--models a.tflite,b.tflite] [--sources http,rtsp,rtsp-scaled,rpicam-mjpeg,rpicam-yuv420] [--json]
  --seconds  how long each source and model run (default 10)
  --models   model files (default MobileNet v1 0.25 128, MobileNet v2 224 and the SSD detector, quantized)
  --sources  which sources (default all)
  --json     one JSON line instead of the table`;
const SOURCES = ['http', 'rtsp', 'rtsp-scaled', 'rpicam-mjpeg', 'rpicam-yuv420'] as const;
type Source = (typeof SOURCES)[number];
const values = benchArgs(USAGE, {
  seconds: { type: 'string', default: '10' },
  models: { type: 'string', default: ['mobilenet_v1_0.25_128_quant.tflite', 'mobilenet_v2_1.0_224_quant.tflite', 'ssd_mobilenet_v1_coco_quant.tflite'].map((m) => join(installDir, 'models', m)).join(',') },
  sources: { type: 'string', default: SOURCES.join(',') },
  json: { type: 'boolean', default: false },
});
const seconds = wholeNumber(USAGE, 'seconds', values.seconds);
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 25;
const TICKS_PER_SECOND = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function testFrames(): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), 'edge-agent-bench-'));
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}`, '-frames:v', '50', '-q:v', '5', join(dir, 'f%03d.jpg')]);
    return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTP MJPEG server at FPS; returns its URL and how to stop it. */
async function mjpegServer(frames: Buffer[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const clients = new Set<ServerResponse>();
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  let n = 0;
  const timer = setInterval(() => {
    const body = frames[n++ % frames.length];
    for (const res of clients) res.write(Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${body.length}\r\n\r\n`), body, Buffer.from('\r\n')]));
  }, 1000 / FPS);
  return {
    url: `http://127.0.0.1:${port}/stream`,
    stop: async () => {
      clearInterval(timer);
      for (const res of clients) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** rtsp-server-perl with ffmpeg publishing the test pattern as H.264. */
async function rtspServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const [source, client, rtp] = [await freePort(), await freePort(), await freePort()];
  const server = spawn('rtsp-server-perl', ['-s', String(source), '-c', String(client), '--source_listen_address', '127.0.0.1', '--client_listen_address', '127.0.0.1', '--rtp_start_port', String(rtp)], { stdio: 'ignore' });
  await sleep(1500);
  const publisher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(FPS), '-f', 'rtsp', `rtsp://127.0.0.1:${source}/cam`], { stdio: 'ignore' });
  await sleep(1500);
  return { url: `rtsp://127.0.0.1:${client}/cam`, stop: async () => { await end(publisher); await end(server); } };
}

/** CPU seconds of the camera's programs: the process groups this process started detached. */
function cameraCpuSeconds(): number {
  const own = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [pgid, utime, stime] = [Number(fields[2]), Number(fields[11]), Number(fields[12])];
    if (pgid === own || !cameraGroups.has(pgid)) continue;
    ticks += utime + stime;
  }
  return ticks / TICKS_PER_SECOND;
}
const cameraGroups = new Set<number>();

/** Remembers the process groups of the camera programs this process started. */
function noteCameraGroups(): void {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,pgid='], { encoding: 'utf8' });
  for (const line of table.trim().split('\n')) {
    const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
    if (ppid === process.pid && pid === pgid) cameraGroups.add(pgid);
  }
}

const SPLIT_RUNS = 15;

async function medianMs(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SPLIT_RUNS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

/**
 * One JPEG frame's preprocessing taken apart: the whole frame decoded, and that raw frame
 * resized as the agent resizes (the two steps apart), beside the agent's own fused
 * preprocessing. The fused path is faster than the two steps by what libjpeg's
 * shrink-on-load and libvips' fusing save.
 */
async function jpegSplit(jpeg: Buffer, spec: InputSpec): Promise<JpegSplit> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels as 3 } };
  const decodeMs = await medianMs(() => sharp(jpeg).raw().toBuffer());
  const resizeMs = await medianMs(() => sharp(data, raw).resize(spec.width, spec.height, defaultPreprocess).raw().toBuffer());
  const fusedMs = await medianMs(() => imageToTensor(jpeg, spec, 'split'));
  return { decodeMs, resizeMs, fusedMs, loadScale: jpegLoadScale(jpeg, info.height, spec) };
}

async function measure(source: Source, cameraConfig: Record<string, unknown>, modelFile: string): Promise<StreamRow> {
  const { config } = await loadConfig({ overrides: { camera: { fps: FPS, width: WIDTH, height: HEIGHT, ...cameraConfig } } as never });
  const ctx = createAgentContext(config, pino({ level: 'silent' }), tmpdir());
  const session = await InferenceSession.open(modelFile, { engine: 'auto', threads: 1 });
  const [, height, width, channels] = session.info.input.shape;
  const spec = { height, width, channels, type: session.info.input.type };
  const scaled = (cameraConfig.rtsp as { scale?: boolean } | undefined)?.scale === true || (cameraConfig.rpicam as { codec?: string } | undefined)?.codec === 'yuv420';
  if (scaled) {
    // Scaled in the decoder or the ISP to the model's input.
    Object.assign(config.camera, { width, height });
  }
  const camera: Camera = createCamera(ctx);
  await camera.capture();
  await sleep(500);
  noteCameraGroups();
  const latencies: number[] = [];
  let preprocessMs = 0;
  let inferenceMs = 0;
  let results = 0;
  let lastImage: ReturnType<typeof frameImage> | null = null;
  const framesBefore = ctx.stats.stream.frames;
  const droppedBefore = ctx.stats.framesDropped;
  const cpuBefore = cameraCpuSeconds();
  const started = performance.now();
  const startedAt = Date.now();
  while (performance.now() - started < seconds * 1000) {
    const frame = await camera.capture();
    // A frame from before the start is not one of the stream's frames counted here.
    if (frame.capturedAt < startedAt) continue;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    lastImage = frameImage(frame);
    const tensor = await imageToTensor(lastImage, spec, frame.source);
    const cpu1 = process.cpuUsage(cpu0);
    const t1 = performance.now();
    await session.run(tensor);
    const t2 = performance.now();
    // libvips decodes on its own threads: the process's CPU time, not the wall time.
    preprocessMs += Math.max((cpu1.user + cpu1.system) / 1000, t1 - t0);
    inferenceMs += t2 - t1;
    latencies.push(Date.now() - frame.capturedAt);
    results++;
  }
  const elapsed = (performance.now() - started) / 1000;
  const frames = ctx.stats.stream.frames - framesBefore;
  const captureCpu = cameraCpuSeconds() - cpuBefore;
  await camera.close();
  await session.close();
  cameraGroups.clear();
  const round = (v: number) => Math.round(v * 10) / 10;
  const split = Buffer.isBuffer(lastImage) ? await jpegSplit(lastImage, spec) : null;
  return {
    source,
    model: session.info.input.shape.join('x') + ' ' + modelFile.split('/').pop()!.replace(/\.tflite$/, ''),
    streamFps: round(frames / elapsed),
    resultsPerSecond: round(results / elapsed),
    resultShare: Math.round((results / Math.max(1, frames)) * 1000) / 10,
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) },
    cpuMsPerFrame: { capture: round((captureCpu * 1000) / Math.max(1, frames)), preprocess: round(preprocessMs / results), inference: round(inferenceMs / results) },
    jpeg: split && { decodeMs: round(split.decodeMs), resizeMs: round(split.resizeMs), fusedMs: round(split.fusedMs), loadScale: split.loadScale },
    dropped: ctx.stats.framesDropped - droppedBefore,
  };
}

runBench(async () => {
  const sources = values.sources!.split(',') as Source[];
  for (const s of sources) if (!SOURCES.includes(s)) throw new Error(`--sources: unknown source ${JSON.stringify(s)} (${SOURCES.join(', ')})`);
  const models = values.models!.split(',');
  const rows: StreamRow[] = [];
  const frames = testFrames();
  const streamBin = join(installDir, 'test/fixtures/camera/stream-bin');
  for (const source of sources) {
    let server: { url: string; stop(): Promise<void> } | null = null;
    let camera: Record<string, unknown>;
    if (source === 'http') {
      server = await mjpegServer(frames);
      camera = { type: 'http', http: { url: server.url } };
    } else if (source.startsWith('rtsp')) {
      server = await rtspServer();
      camera = { type: 'rtsp', rtsp: { url: server.url, scale: source === 'rtsp-scaled' } };
    } else {
      process.env.PATH = `${streamBin}:${process.env.PATH}`;
      camera = { type: 'rpicam', rpicam: { codec: source === 'rpicam-yuv420' ? 'yuv420' : 'mjpeg' } };
    }
    try {
      for (const model of models) rows.push(await measure(source, camera, model));
    } finally {
      await server?.stop();
    }
  }
  const figures: StreamFigures = { width: WIDTH, height: HEIGHT, fps: FPS, seconds, rows };
  recordBench(npmCommand('bench:streams'), figures);
  if (values.json) {
    process.stdout.write(JSON.stringify(figures) + '\n');
    return;
  }
  process.stdout.write(`each source ${WIDTH}x${HEIGHT} at ${FPS} fps, ${seconds} s per row; CPU ms per frame of the stream (capture program) and per result (agent)\n`);
  process.stdout.write(`${streamTable(figures).join('\n')}\n`);
});
