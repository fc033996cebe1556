// The stream sources with real parts on loopback: an HTTP MJPEG server (clean, with garbage
// and cut frames inside its parts, down at start), rtsp-server-perl relaying ffmpeg's H.264
// over UDP, and the stand-in rpicam-vid in both codecs; the camera is built by the factory
// from the configuration, as the agent builds it. A missing ffmpeg or rtsp-server-perl
// fails these tests in CI and skips them loudly elsewhere.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import type { Camera, Frame } from '../../../../agent/camera/camera.js';
import { createCamera } from '../../../../agent/camera/factory.js';
import { SupervisedCamera } from '../../../../agent/camera/supervisor.js';
import { checkCamera } from '../../../../agent/doctor/agent-checks.js';
import { frameImage, sharpImage } from '../../../../agent/camera/raw-image.js';
import { itWhenPresent } from '../../../support/required-part.js';
import { freePort } from '../../../support/mosquitto.js';
import { MjpegHttpServer, RtspServer, missingPrograms, processesInGroups, streamBin, until } from '../../../support/stream-parts.js';
import { testContext } from '../test-context.js';

const withFfmpeg = itWhenPresent(missingPrograms('ffmpeg'));
const withRtsp = itWhenPresent(missingPrograms('ffmpeg', 'rtsp-server-perl'));

let frames: Buffer[] = [];
let camera: Camera | null = null;
const stopAfter: (() => Promise<void>)[] = [];
const savedPath = process.env.PATH;

beforeAll(() => {
  if (missingPrograms('ffmpeg') === null) frames = MjpegHttpServer.frames();
});

afterEach(async () => {
  await camera?.close();
  camera = null;
  for (const stop of stopAfter.splice(0)) await stop();
  process.env.PATH = savedPath;
});

afterAll(() => {
  process.env.PATH = savedPath;
});

async function cameraFor(config: Record<string, unknown>) {
  const { ctx, logs } = await testContext({ camera: config });
  camera = createCamera(ctx);
  return { ctx, logs, camera };
}

async function size(frame: Frame): Promise<string> {
  const meta = await sharpImage(frameImage(frame)).metadata();
  return `${meta.width}x${meta.height}`;
}

describe('http (MJPEG over HTTP, through ffmpeg)', () => {
  withFfmpeg('delivers the frames of a clean stream, each a whole 1280x720 JPEG, nothing skipped', async () => {
    const server = await MjpegHttpServer.start(frames);
    stopAfter.push(() => server.stop());
    const { ctx, camera } = await cameraFor({ type: 'http', http: { url: server.url } });
    expect(camera.name).toBe(server.url);
    for (let i = 0; i < 10; i++) {
      const frame = await camera.capture();
      expect(frame.raw).toBeUndefined();
      expect(await size(frame)).toBe('1280x720');
    }
    expect(ctx.stats.stream.frames).toBeGreaterThanOrEqual(10);
    expect(ctx.stats.stream.skippedBytes).toBe(0);
    expect(ctx.stats.stream.skippedFrames).toBe(0);
  });

  withFfmpeg('skips garbage and cut frames inside the parts, counting each byte and frame, and keeps the stream', async () => {
    const garbage = Buffer.from('this is not a JPEG, it is garbage on the wire\r\n');
    const server = await MjpegHttpServer.start(frames, { garbage: { every: 4, bytes: garbage }, cutEvery: 7 });
    stopAfter.push(() => server.stop());
    const { ctx, camera } = await cameraFor({ type: 'http', http: { url: server.url } });
    await camera.capture();
    await until('60 parts sent', () => server.sent.parts >= 60);
    server.pause();
    const { stream } = ctx.stats;
    // A cut frame is known to be broken only when the next JPEG begins: the last part must be whole.
    await until('every part sent to be counted', () => stream.frames + stream.skippedFrames >= server.sent.parts - 1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const last = server.sent.parts - 1;
    const lastIsCut = last % 7 === 6;
    expect(server.sent.cutFrames).toBeGreaterThanOrEqual(8);
    // Every whole frame sent, after garbage or not, came through: the stream was kept throughout.
    const settledCut = server.sent.cutFrames - (lastIsCut ? 1 : 0);
    expect(stream.skippedFrames).toBe(settledCut);
    expect(stream.frames).toBe(server.sent.parts - server.sent.cutFrames);
    if (!lastIsCut) expect(stream.skippedBytes).toBe(server.sent.garbageBytes + server.sent.cutBytes);

  });

  withFfmpeg('fails while the server is down, naming why, and connects once it is up', async () => {
    const port = await freePort();
    const url = `http://user:hunter2@127.0.0.1:${port}/stream`;
    const { camera } = await cameraFor({ type: 'http', http: { url } });
    expect(camera.name).toBe(`http://user:[redacted]@127.0.0.1:${port}/stream`);
    const error = await camera.capture().then(() => null, (err: Error) => err);
    expect(error?.message).toMatch(/ffmpeg .*ended \(exit \d+\): .*(refused|error)/i);
    expect(error?.message).not.toContain('hunter2');
    const server = await MjpegHttpServer.start(frames, {}, port);
    stopAfter.push(() => server.stop());
    expect(await size(await camera.capture())).toBe('1280x720');
  });
});

describe('doctor on a stream source', () => {
  withFfmpeg('says the first frame came, with its size, and the frame rate it measured', async () => {
    const server = await MjpegHttpServer.start(frames);
    stopAfter.push(() => server.stop());
    const { ctx } = await testContext({ camera: { type: 'http', http: { url: server.url } } });
    const check = await checkCamera(ctx);
    expect(check?.status).toBe('ok');
    const rate = /^http:\/\/127\.0\.0\.1:\d+\/stream: first frame in \d+ ms, 1280x720 JPEG \(\d+ KiB\), ([\d.]+) fps over 2 s$/.exec(check?.detail ?? '');
    expect(rate, check?.detail).not.toBeNull();
    expect(Number(rate![1])).toBeGreaterThan(0);
  });

  withFfmpeg('fails with the reason and a fix when the URL does not answer', async () => {
    const port = await freePort();
    const { ctx } = await testContext({ camera: { type: 'http', http: { url: `http://a:pw@127.0.0.1:${port}/x` } } });
    const check = await checkCamera(ctx);
    expect(check).toMatchObject({ status: 'fail', fix: expect.stringContaining('camera.http.url') });
    expect(check?.detail).toMatch(/^http camera: .*ffmpeg .*ended/);
  });
});

describe('a stalled stream, under SupervisedCamera', () => {
  withFfmpeg('is restarted when no frame comes within camera.captureTimeoutSeconds, reported degraded, and recovers', async () => {
    const server = await MjpegHttpServer.start(frames);
    stopAfter.push(() => server.stop());
    const { ctx, logs } = await testContext({ camera: { type: 'http', captureTimeoutSeconds: 1, http: { url: server.url } } });
    const supervised = new SupervisedCamera(ctx);
    await supervised.start();
    stopAfter.push(() => supervised.stop());
    expect(await supervised.capture()).not.toBeNull();
    // The server keeps the connection open and sends nothing: a stalled camera.
    server.pause();
    await until('a capture to time out', async () => (await supervised.capture()) === null, 10_000);
    expect(ctx.degraded.get('camera')).toMatch(/no frame within 1 s/);
    server.resume();
    expect(await until('a frame again', () => supervised.capture(), 15_000)).toMatchObject({ source: server.url });
    expect(logs.some((l) => l.msg === 'restarting the camera')).toBe(true);
    expect(server.connections).toBe(2);
    expect(ctx.degraded.has('camera')).toBe(false);
  });
});

describe('rtsp (rtsp-server-perl relaying H.264 over UDP, through ffmpeg)', () => {
  let rtsp: RtspServer | null = null;
  afterEach(async () => {
    await rtsp?.stop();
    rtsp = null;
  });

  withRtsp('reads the stream with the default transport, as JPEGs at full size or scaled to raw RGB in the decoder', async () => {
    rtsp = await RtspServer.start();
    await rtsp.publish();
    const full = await cameraFor({ type: 'rtsp', rtsp: { url: rtsp.url } });
    for (let i = 0; i < 5; i++) expect(await size(await full.camera.capture())).toBe('1280x720');
    await full.camera.close();
    const scaled = await cameraFor({ type: 'rtsp', width: 224, height: 224, rtsp: { url: rtsp.url, scale: true } });
    const frame = await scaled.camera.capture();
    expect(frame.raw).toEqual({ format: 'rgb24', width: 224, height: 224 });
    expect(frame.data.length).toBe(224 * 224 * 3);
  });
});

describe('rpicam (the stand-in rpicam-vid, which refuses options the real one does not know)', () => {
  const log = join(tmpdir(), `edge-agent-rpicam-${process.pid}.log`);
  const pids = (): number[] => readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
  afterEach(() => rmSync(log, { force: true }));

  withFfmpeg('streams mjpeg at the camera size and yuv420 at an unpadded size near the model input', async () => {
    process.env.PATH = `${streamBin}:${savedPath}`;
    process.env.RPICAM_STANDIN_LOG = log;
    const mjpeg = await cameraFor({ type: 'rpicam', width: 640, height: 480, fps: 25 });
    expect(await size(await mjpeg.camera.capture())).toBe('640x480');
    await mjpeg.camera.close();
    const yuv = await cameraFor({ type: 'rpicam', width: 224, height: 224, fps: 25, rpicam: { codec: 'yuv420' } });
    const frame = await yuv.camera.capture();
    expect(frame.raw).toEqual({ format: 'yuv420', width: 256, height: 224 });
    expect(frame.data.length).toBe(256 * 224 * 1.5);
    expect(await size(frame)).toBe('256x224');
    // testsrc2 is colourful: the conversion gives RGB, not grey.
    const { channels } = await sharpImage(frameImage(frame)).stats();
    expect(Math.max(...channels.map((c) => c.mean)) - Math.min(...channels.map((c) => c.mean))).toBeGreaterThan(1);
  });

  withFfmpeg('a killed rpicam-vid takes what it started with it; the next capture starts it again; close leaves nothing', async () => {
    process.env.PATH = `${streamBin}:${savedPath}`;
    process.env.RPICAM_STANDIN_LOG = log;
    const { ctx, camera } = await cameraFor({ type: 'rpicam', width: 320, height: 240, fps: 25 });
    await camera.capture();
    const [first] = pids();
    // Only the program itself: the ffmpeg it started would keep the pipe open if the group were not killed.
    process.kill(first, 'SIGKILL');
    const error = await until('the capture to fail', async () => camera.capture().then(() => null, (err: Error) => err), 10_000);
    expect(error.message).toMatch(/rpicam-vid .*ended \(killed by SIGKILL\)/);
    expect(processesInGroups([first])).toEqual([]);
    await camera.capture();
    expect(ctx.stats.stream.restarts).toBe(1);
    const [, second] = pids();
    expect(second).not.toBe(first);
    expect(processesInGroups([second]).length).toBeGreaterThan(0);
    await camera.close();
    expect(processesInGroups([second])).toEqual([]);
  });
});
