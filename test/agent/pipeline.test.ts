// The pipeline with an in-process camera and model (unit test): scheduling, newest-wins,
// the motion gate, capture requests, limits, frame health and stopping mid-capture.
import { afterEach, describe, expect, it } from 'vitest';
import { Pipeline } from '../../agent/pipeline/pipeline.js';
import { camera, cat, context, heldCamera, model, parrot } from './pipeline-fakes.js';

let pipeline: Pipeline | null = null;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = null;
});

describe('Pipeline', () => {
  it('classifies at the set fps until --max-frames, then resolves done', async () => {
    const { ctx, submitted } = await context({ camera: { fps: 50 } });
    pipeline = new Pipeline(ctx, camera([cat, parrot]), model(), { maxFrames: 4 });
    await pipeline.start();
    await pipeline.done;
    const order = submitted.map((r) => Number(r.source.split('-')[1]));
    expect(order).toHaveLength(4);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(4);
    expect(submitted[0]).toMatchObject({ device: 'test-device', model: 'fake', engine: 'fake' });
    expect(submitted[0].top).toHaveLength(3);
    expect(submitted[0].top[0].score).toBeCloseTo(0.9, 5);
    expect(submitted[0].latencyMs.total).toBeGreaterThanOrEqual(submitted[0].latencyMs.inference);
    expect(ctx.stats.framesInferred).toBe(4);
  });

  it('keeps only the newest frame while inference is busy and counts the dropped ones', async () => {
    const { ctx, submitted } = await context({ camera: { fps: 50 }, trigger: { mode: 'mqtt' } });
    const m = model(150);
    pipeline = new Pipeline(ctx, camera([cat]), m);
    await pipeline.start();
    const first = pipeline.capture('test');
    await new Promise((r) => setTimeout(r, 20));
    const rest = [pipeline.capture('a'), pipeline.capture('b'), pipeline.capture('c')];
    const results = await Promise.all([first, ...rest]);
    // The first frame ran; of the three that arrived while it ran, only the newest did.
    expect(m.runs).toBe(2);
    expect(ctx.stats.framesDropped).toBe(2);
    expect(submitted.map((r) => r.source)).toEqual(['frame-1', 'frame-4']);
    expect(results.slice(1).map((r) => r.source)).toEqual(['frame-4', 'frame-4', 'frame-4']);
  });

  it('does not capture while paused, but a capture request still works', async () => {
    const { ctx, submitted } = await context({ camera: { fps: 50 } });
    ctx.settings.paused = true;
    const cam = camera([cat]);
    pipeline = new Pipeline(ctx, cam, model());
    await pipeline.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(cam.captures).toBe(0);
    const result = await pipeline.capture('command');
    expect(result.seq).toBe(0);
    expect(submitted).toHaveLength(1);
  });

  // Found by the command flood: 300 set-fps commands at "2 fps" captured 300 frames.
  it('does not capture a frame for every change of the rate, only when one is due', async () => {
    const { ctx } = await context({ camera: { fps: 2 } });
    const cam = camera([cat]);
    pipeline = new Pipeline(ctx, cam, model());
    await pipeline.start();
    expect(cam.captures).toBe(1);
    for (let i = 0; i < 50; i++) {
      ctx.settings.fps = i % 2 ? 2 : 1;
      pipeline.reschedule();
      await new Promise((r) => setImmediate(r));
    }
    expect(cam.captures).toBe(1);
    // A faster rate whose period has already passed takes a frame at once.
    await new Promise((r) => setTimeout(r, 120));
    ctx.settings.fps = 10;
    pipeline.reschedule();
    expect(cam.captures).toBe(2);
  });

  it('applies topK and the score threshold from the live settings', async () => {
    const { ctx } = await context({ trigger: { mode: 'mqtt' } });
    pipeline = new Pipeline(ctx, camera([cat]), model());
    await pipeline.start();
    ctx.settings.topK = 5;
    expect((await pipeline.capture('x')).top).toHaveLength(5);
    ctx.settings.scoreThreshold = 0.5;
    const top = (await pipeline.capture('x')).top;
    expect(top).toHaveLength(1);
    expect(top[0].label).toMatch(/^class \d$/);
  });

  it('never publishes a prediction that scores 0, whatever topK asks for', async () => {
    const { ctx, submitted } = await context({ trigger: { mode: 'mqtt' } });
    const m = model();
    m.session.run = async () => ({ raw: new Uint8Array(10), outputs: [new Uint8Array(10)], values: Float32Array.from([0, 0, 0.7, 0, 0.2, 0, 0, 0, 0, 0]) });
    pipeline = new Pipeline(ctx, camera([cat]), m);
    await pipeline.start();
    ctx.settings.topK = 5;
    await pipeline.capture('x');
    expect(submitted[0].top).toEqual([
      { index: 2, label: 'class 2', score: 0.7 },
      { index: 4, label: 'class 4', score: 0.2 },
    ]);
  });

  it('skips still frames when the motion gate is on, and lets a changed scene through', async () => {
    const { ctx, submitted } = await context({ camera: { fps: 40 }, trigger: { motion: { enabled: true, threshold: 0.02, minIntervalSeconds: 60 } } });
    pipeline = new Pipeline(ctx, camera([cat, cat, cat, cat, parrot, parrot, parrot, parrot]), model(), { maxFrames: 2 });
    await pipeline.start();
    await pipeline.done;
    // Frames 2-4 repeat frame 1 and are skipped as still (or replaced while busy);
    // frame 5 onwards show another scene.
    expect(submitted[0].source).toBe('frame-1');
    expect(Number(submitted[1].source.split('-')[1])).toBeGreaterThanOrEqual(5);
    expect(ctx.stats.framesStill).toBeGreaterThanOrEqual(1);
    expect(ctx.stats.framesStill + ctx.stats.framesDropped).toBeGreaterThanOrEqual(3);
  });

  it('reports an undecodable frame as degraded and recovers on the next good one', async () => {
    const { ctx, submitted } = await context({ trigger: { mode: 'mqtt' } });
    const health: unknown[] = [];
    ctx.events.on('health', (h) => health.push(h));
    pipeline = new Pipeline(ctx, camera([cat.subarray(0, 100), parrot]), model());
    await pipeline.start();
    await expect(pipeline.capture('x')).rejects.toThrow(/frame-1: /);
    expect(ctx.degraded.get('frames')).toMatch(/frame-1/);
    expect(ctx.stats.frameErrors.preprocess).toBe(1);
    await pipeline.capture('x');
    expect(ctx.degraded.has('frames')).toBe(false);
    expect(health).toEqual([
      { part: 'frames', degraded: true, reason: expect.stringMatching(/frame-1/) },
      { part: 'frames', degraded: false, reason: null },
    ]);
    expect(submitted).toHaveLength(1);
  });

  // Found by the fleet-load fault test: SIGTERM reached agents mid-capture and the late
  // frame became a result recorded after the MQTT part had drained (it stayed in the
  // outbox until the next start instead of being delivered before `offline`).
  it('does not turn a frame that arrives after stop() into a result, and rejects a capture request waiting for it', async () => {
    const { ctx, submitted } = await context({ camera: { fps: 1 }, trigger: { mode: 'mqtt' } });
    const cam = heldCamera();
    pipeline = new Pipeline(ctx, cam, model());
    await pipeline.start();
    const requested = pipeline.capture('command');
    await cam.started;
    await pipeline.stop();
    cam.release();
    await expect(requested).rejects.toThrow(/stopping/);
    expect(submitted).toEqual([]);
    expect(ctx.stats.framesInferred).toBe(0);
  });
});
