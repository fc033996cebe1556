// SupervisedCamera with fake timers and an in-process camera: backoff, degraded/recovered
// events, the capture timeout, the watchdog restart, serialised calls and a clean stop;
// then once with the real simulated camera and real time.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CameraError, type Camera, type Frame } from '../../../agent/camera/camera.js';
import { createCamera } from '../../../agent/camera/factory.js';
import { BACKOFF_MAX_MS, SupervisedCamera } from '../../../agent/camera/supervisor.js';
import type { AgentContext } from '../../../agent/core/context.js';
import type { AgentEventMap } from '../../../agent/core/events.js';
import { imagePath } from '../../support/paths.js';
import { testContext, type LogLine } from './test-context.js';

type Health = AgentEventMap['health'][0];
type Behaviour = 'frame' | 'fail' | 'hang' | 'throw';

/** A camera doing what `behaviour` says at each call; counts calls, overlap and closes. */
class FakeCamera implements Camera {
  readonly calls: number[] = [];
  closed = false;
  private active = 0;
  maxActive = 0;
  constructor(readonly name: string, private readonly behaviour: () => Behaviour, private readonly delayMs = 0) {}

  async capture(): Promise<Frame> {
    this.calls.push(Date.now());
    const b = this.behaviour();
    if (b === 'throw') throw new TypeError('a bug, not a camera error');
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (b === 'hang') await new Promise(() => {});
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (b === 'fail') throw new CameraError(`${this.name}: injected failure`);
      return { data: Buffer.from([0xff, 0xd8, 0xff]), source: this.name, capturedAt: Date.now(), captureMs: 0 };
    } finally {
      this.active--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

let ctx: AgentContext;
let logs: LogLine[];
let health: Health[];
let cameras: FakeCamera[];
let behaviour: Behaviour;
/** When set, the camera factory throws it (an invalid option on a restart). */
let factoryError: Error | null;
let supervised: SupervisedCamera | null;

async function setUp(camera: Record<string, unknown> = {}, delayMs = 0): Promise<SupervisedCamera> {
  ({ ctx, logs } = await testContext({ camera: { captureTimeoutSeconds: 10, watchdogSeconds: 3600, ...camera } }));
  health = [];
  ctx.events.on('health', (h) => health.push(h));
  cameras = [];
  supervised = new SupervisedCamera(ctx, () => {
    if (factoryError) throw factoryError;
    const cam = new FakeCamera(`fake-${cameras.length}`, () => behaviour, delayMs);
    cameras.push(cam);
    return cam;
  });
  await supervised.start();
  return supervised;
}

const calls = (): number[] => cameras.flatMap((c) => c.calls);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(0);
  behaviour = 'frame';
  factoryError = null;
});

afterEach(async () => {
  await supervised?.stop();
  supervised = null;
  vi.useRealTimers();
});

describe('SupervisedCamera', () => {
  it('passes frames through, and gives null before start and after stop', async () => {
    ({ ctx } = await testContext());
    const idle = new SupervisedCamera(ctx, () => new FakeCamera('unused', () => 'frame'));
    expect(await idle.capture()).toBeNull();
    const cam = await setUp();
    expect((await cam.capture())?.source).toBe('fake-0');
    await cam.stop();
    expect(await cam.capture()).toBeNull();
    expect(cameras[0].closed).toBe(true);
    expect(health).toEqual([]);
  });

  it('backs off exponentially from 0.5 s to 30 s after consecutive failures, counting each', async () => {
    const cam = await setUp();
    behaviour = 'fail';
    // Ask every 100 ms for 3 minutes, as a pipeline at 10 fps would.
    for (let t = 0; t < 180_000; t += 100) {
      expect(await cam.capture()).toBeNull();
      await vi.advanceTimersByTimeAsync(100);
    }
    const expected = [0];
    for (let delay = 500; expected.at(-1)! + Math.min(delay, BACKOFF_MAX_MS) < 180_000; delay *= 2) {
      expected.push(expected.at(-1)! + Math.min(delay, BACKOFF_MAX_MS));
    }
    expect(expected.slice(0, 9)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500, 61500, 91500]);
    expect(calls()).toEqual(expected);
    expect(ctx.stats.captureErrors).toBe(expected.length);
  });

  it('reports degraded once on the first failure and recovered on the next frame', async () => {
    const cam = await setUp();
    behaviour = 'fail';
    for (let i = 0; i < 3; i++) {
      expect(await cam.capture()).toBeNull();
      await vi.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    }
    expect(health).toEqual([{ part: 'camera', degraded: true, reason: 'fake-0: injected failure (1 failed capture in a row)' }]);
    expect(ctx.degraded.get('camera')).toBe('fake-0: injected failure (3 failed captures in a row)');
    expect(logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['camera capture failed; retrying with backoff']);
    behaviour = 'frame';
    expect((await cam.capture())?.source).toBe('fake-0');
    expect(health.at(-1)).toEqual({ part: 'camera', degraded: false, reason: null });
    expect(ctx.degraded.has('camera')).toBe(false);
    expect(logs.at(-1)).toMatchObject({ msg: 'camera recovered', failures: 3 });
    // Recovered means no backoff left: the next call captures at once.
    expect(await cam.capture()).not.toBeNull();
    expect(health).toHaveLength(2);
  });

  it('fails a capture that outlasts captureTimeoutSeconds and reopens the camera before the next', async () => {
    const cam = await setUp({ captureTimeoutSeconds: 2 });
    behaviour = 'hang';
    const first = cam.capture();
    await vi.advanceTimersByTimeAsync(1999);
    let settled = false;
    void first.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await first).toBeNull();
    expect(ctx.degraded.get('camera')).toMatch(/^fake-0: no frame within 2 s \(camera\.captureTimeoutSeconds\)/);
    behaviour = 'frame';
    await vi.advanceTimersByTimeAsync(500);
    expect((await cam.capture())?.source).toBe('fake-1');
    expect(cameras[0].closed).toBe(true);
    expect(logs.find((l) => l.msg === 'restarting the camera')).toMatchObject({ camera: 'fake-0', reason: 'a capture hung for 2 s' });
  });

  it('restarts the camera through the factory when captures keep failing for watchdogSeconds', async () => {
    const cam = await setUp({ watchdogSeconds: 15 });
    behaviour = 'fail';
    for (let t = 0; t <= 40_000; t += 100) {
      await cam.capture();
      await vi.advanceTimersByTimeAsync(100);
    }
    // Failures at 0, 0.5, 1.5, 3.5, 7.5 and 15.5 s: the attempt at 15.5 s comes 15.5 s after
    // the first failure, so the camera is reopened first; the next (31.5 s) again.
    expect(cameras.map((c) => c.calls)).toEqual([[0, 500, 1500, 3500, 7500], [15_500], [31_500]]);
    expect(cameras.slice(0, 2).every((c) => c.closed)).toBe(true);
    const restarts = logs.filter((l) => l.msg === 'restarting the camera');
    expect(restarts.map((l) => l.reason)).toEqual(['no frame for 16 s (camera.watchdogSeconds)', 'no frame for 16 s (camera.watchdogSeconds)']);
    // Once the backoff is longer than the watchdog, every retry comes with a fresh camera.
    behaviour = 'frame';
    await vi.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    expect((await cam.capture())?.source).toBe('fake-3');
    expect(ctx.degraded.has('camera')).toBe(false);
  });

  it('does not restart an idle camera (triggered mode) for the time it was idle', async () => {
    const cam = await setUp({ watchdogSeconds: 15 });
    expect(await cam.capture()).not.toBeNull();
    await vi.advanceTimersByTimeAsync(3_600_000);
    behaviour = 'fail';
    expect(await cam.capture()).toBeNull();
    behaviour = 'frame';
    await vi.advanceTimersByTimeAsync(500);
    expect((await cam.capture())?.source).toBe('fake-0');
    expect(cameras).toHaveLength(1);
  });

  it('turns any failure, a bug or a factory that throws, into null and a report', async () => {
    const cam = await setUp({ captureTimeoutSeconds: 1 });
    behaviour = 'throw';
    expect(await cam.capture()).toBeNull();
    expect(ctx.degraded.get('camera')).toMatch(/^a bug, not a camera error/);
    // A hung capture forces a restart; the factory then fails once.
    behaviour = 'hang';
    await vi.advanceTimersByTimeAsync(500);
    const hung = cam.capture();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await hung).toBeNull();
    const original = cameras.length;
    factoryError = new CameraError('camera.usb.device: "x" is not a video device');
    await vi.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    expect(await cam.capture()).toBeNull();
    expect(ctx.degraded.get('camera')).toMatch(/is not a video device/);
    expect(cameras).toHaveLength(original);
    expect(ctx.stats.captureErrors).toBe(3);
    factoryError = null;
    behaviour = 'frame';
    await vi.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    expect((await cam.capture())?.source).toBe(`fake-${original}`);
  });

  it('serves concurrent callers one capture at a time, in order', async () => {
    const cam = await setUp({}, 50);
    const frames = Promise.all([cam.capture(), cam.capture(), cam.capture()]);
    await vi.advanceTimersByTimeAsync(200);
    expect((await frames).every((f) => f !== null)).toBe(true);
    expect(cameras[0].maxActive).toBe(1);
    expect(calls()).toEqual([0, 50, 100]);
  });

  it('stops cleanly during a hung capture, without reporting it', async () => {
    const cam = await setUp();
    behaviour = 'hang';
    const pending = cam.capture();
    await vi.advanceTimersByTimeAsync(100);
    const stopped = cam.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    await stopped;
    expect(await pending).toBeNull();
    expect(health).toEqual([]);
    expect(ctx.stats.captureErrors).toBe(0);
  });
});

describe('SupervisedCamera over the simulated camera (real time)', () => {
  let dir: string;
  beforeEach(() => {
    vi.useRealTimers();
    dir = mkdtempSync(join(tmpdir(), 'edge-agent-supervised-'));
    copyFileSync(imagePath('cat.png'), join(dir, 'cat.png'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('recovers from a stalled simulated device by itself once the stall is over', async () => {
    ({ ctx } = await testContext({ camera: { type: 'sim', sim: { images: dir }, captureTimeoutSeconds: 0.2 } }));
    const events: Health[] = [];
    ctx.events.on('health', (h) => events.push(h));
    supervised = new SupervisedCamera(ctx, createCamera);
    await supervised.start();
    expect((await supervised.capture())?.source).toBe('cat.png');
    writeFileSync(join(dir, '.faults'), 'stall\n');
    const started = Date.now();
    expect(await supervised.capture()).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
    rmSync(join(dir, '.faults'));
    await new Promise((r) => setTimeout(r, 600));
    expect((await supervised.capture())?.source).toBe('cat.png');
    expect(events.map((e) => e.degraded)).toEqual([true, false]);
    expect(events[0].reason).toMatch(/no frame within 0\.2 s/);
  });
});
