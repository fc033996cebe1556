// The pipeline when a frame goes wrong (unit test, in-process parts): every frame that does
// not become a result is logged (at most once a minute per cause, naming its source),
// counted by cause and reported as degraded until results flow again; pause stops GPIO
// triggers too; trigger edges coalesce.
import { afterEach, describe, expect, it } from 'vitest';
import { Pipeline } from '../../agent/pipeline/pipeline.js';
import { camera, cat, context, emptyCamera, heldCamera, model, parrot, type LogRecord } from './pipeline-fakes.js';

// A GPIO trigger needs GPIO on and a trigger pin (the configuration's rules refuse it otherwise).
const gpioTriggered = { trigger: { mode: 'gpio' }, gpio: { enabled: true, trigger: { pin: 17 } } };

let pipeline: Pipeline | null = null;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = null;
});

const lostLines = (logs: LogRecord[]): LogRecord[] => logs.filter((r) => r.level === 40 && /a frame was lost/.test(r.msg));
const corrupt = cat.subarray(0, 100);

/** Resolves once `check` holds, polling every 5 ms; fails after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Pipeline: frames that do not become results', () => {
  // Before: a corrupt JPEG with the motion gate on was dropped with no log line, no count and no health report.
  it('logs, counts and reports a frame the motion gate cannot decode, and clears it once results flow', async () => {
    const { ctx, submitted, logs } = await context({ camera: { fps: 50 }, trigger: { motion: { enabled: true, threshold: 0.02, minIntervalSeconds: 60 } } });
    const health: unknown[] = [];
    ctx.events.on('health', (h) => health.push(h));
    pipeline = new Pipeline(ctx, camera([corrupt, cat]), model(), { maxFrames: 1 });
    await pipeline.start();
    await pipeline.done;
    expect(ctx.stats.frameErrors.motionGate).toBe(1);
    expect(lostLines(logs)).toEqual([expect.objectContaining({ cause: 'motionGate', source: 'frame-1' })]);
    expect(health).toEqual([
      { part: 'frames', degraded: true, reason: expect.stringMatching(/^motionGate: frame-1: /) },
      { part: 'frames', degraded: false, reason: null },
    ]);
    expect(submitted.map((r) => r.source)).toEqual(['frame-2']);
  });

  it('counts each cause, logs it once a minute at most with the first source, and keeps the latest reason in health', async () => {
    const { ctx, logs } = await context({ trigger: { mode: 'mqtt' } });
    pipeline = new Pipeline(ctx, camera([corrupt]), model());
    await pipeline.start();
    for (let i = 1; i <= 5; i++) await expect(pipeline.capture('x')).rejects.toThrow(`frame-${i}: `);
    expect(ctx.stats.frameErrors.preprocess).toBe(5);
    expect(ctx.stats.captureErrors).toBe(0);
    expect(lostLines(logs)).toEqual([expect.objectContaining({ cause: 'preprocess', source: 'frame-1', total: 1 })]);
    expect(ctx.degraded.get('frames')).toMatch(/^preprocess: frame-5: corrupt image data/);
  });

  it('counts and reports a failed inference, and recovers when the next one works', async () => {
    const { ctx, submitted, logs } = await context({ trigger: { mode: 'mqtt' } });
    pipeline = new Pipeline(ctx, camera([cat, parrot]), model(0, 1));
    await pipeline.start();
    await expect(pipeline.capture('x')).rejects.toThrow('frame-1: the kernel failed');
    expect(ctx.stats.frameErrors.inference).toBe(1);
    expect(ctx.degraded.get('frames')).toBe('inference: frame-1: the kernel failed');
    expect(lostLines(logs)).toEqual([expect.objectContaining({ cause: 'inference', source: 'frame-1', error: 'the kernel failed' })]);
    await pipeline.capture('x');
    expect(ctx.degraded.has('frames')).toBe(false);
    expect(submitted).toHaveLength(1);
  });

  it('counts and reports a result the sink refused to record', async () => {
    const { ctx, logs } = await context({ trigger: { mode: 'mqtt' } }, { refusals: 1 });
    pipeline = new Pipeline(ctx, camera([cat]), model());
    await pipeline.start();
    await expect(pipeline.capture('x')).rejects.toThrow(/frame-1: the outbox .* is closed/);
    expect(ctx.stats.frameErrors.outbox).toBe(1);
    expect(lostLines(logs)).toEqual([expect.objectContaining({ cause: 'outbox', source: 'frame-1' })]);
    expect((await pipeline.capture('x')).seq).toBe(0);
    expect(ctx.degraded.has('frames')).toBe(false);
  });

  // Before: a GPIO trigger's failed capture was swallowed by .catch(() => {}).
  it('logs and counts a GPIO trigger whose capture fails', async () => {
    const { ctx, logs } = await context(gpioTriggered);
    const cam = emptyCamera();
    pipeline = new Pipeline(ctx, cam, model());
    await pipeline.start();
    ctx.events.emit('trigger', { source: 'gpio' });
    await until(() => ctx.stats.frameErrors.trigger === 1, 'the trigger error to be counted');
    expect(lostLines(logs)).toEqual([expect.objectContaining({ cause: 'trigger', source: 'trigger:gpio', error: expect.stringMatching(/camera is not delivering frames/) })]);
    expect(ctx.degraded.get('frames')).toMatch(/^trigger: /);
  });

  it('does not count a trigger twice when its frame was lost further on', async () => {
    const { ctx } = await context(gpioTriggered);
    pipeline = new Pipeline(ctx, camera([corrupt]), model());
    await pipeline.start();
    ctx.events.emit('trigger', { source: 'gpio' });
    await until(() => ctx.stats.frameErrors.preprocess === 1, 'the preprocessing error to be counted');
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.stats.frameErrors.trigger).toBe(0);
  });
});

describe('Pipeline: pause and triggers', () => {
  // Before: pause stopped only the timer; GPIO triggers still captured.
  it('ignores GPIO triggers while paused, and takes them again after resume', async () => {
    const { ctx, submitted } = await context(gpioTriggered);
    const cam = camera([cat]);
    pipeline = new Pipeline(ctx, cam, model());
    await pipeline.start();
    ctx.settings.paused = true;
    ctx.events.emit('trigger', { source: 'gpio' });
    await new Promise((r) => setTimeout(r, 50));
    expect(cam.captures).toBe(0);
    ctx.settings.paused = false;
    ctx.events.emit('trigger', { source: 'gpio' });
    await until(() => submitted.length === 1, 'a result after resume');
    expect(cam.captures).toBe(1);
  });

  // Before: every edge queued a capture of its own behind the camera.
  it('coalesces a burst of trigger edges: one capture runs, at most one waits, the rest are counted', async () => {
    const { ctx, submitted } = await context(gpioTriggered);
    const cam = heldCamera();
    pipeline = new Pipeline(ctx, cam, model());
    await pipeline.start();
    for (let i = 0; i < 10; i++) ctx.events.emit('trigger', { source: 'gpio' });
    await cam.started;
    expect(ctx.stats.triggersCoalesced).toBe(8);
    cam.release();
    await until(() => submitted.length === 2, 'the running and the waiting capture to finish');
    await new Promise((r) => setTimeout(r, 50));
    expect(submitted).toHaveLength(2);
    ctx.events.emit('trigger', { source: 'gpio' });
    await until(() => submitted.length === 3, 'a later edge to capture again');
  });
});
