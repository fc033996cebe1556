// The pipeline stopping while the camera is still capturing: found by the fleet-load
// fault test, where SIGTERM reached agents mid-capture and the late frame became a
// result recorded after the MQTT part had drained (it stayed in the outbox until the next
// start instead of being delivered before `offline`).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../agent/camera/camera.js';
import { loadConfig } from '../../agent/config/load.js';
import { createAgentContext } from '../../agent/context.js';
import { Pipeline, type FrameSource, type LoadedModel } from '../../agent/pipeline/pipeline.js';
import type { ResultPayload } from '../../agent/result.js';
import { imagePath } from '../support/paths.js';

const cat = readFileSync(imagePath('cat.png'));

/** A camera whose captures finish only when the test releases them. */
function heldCamera(): FrameSource & { started: Promise<void>; release(): void } {
  let release!: () => void;
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    started: startedPromise,
    release,
    async capture(): Promise<Frame> {
      started();
      await released;
      return { data: cat, source: 'held.png', capturedAt: Date.now(), captureMs: 1 };
    },
  };
}

const model = {
  name: 'fake',
  labels: null,
  session: {
    engine: 'fake',
    info: { input: { shape: [1, 8, 8, 3], type: 'uint8' } },
    async run() {
      return { raw: new Uint8Array(2), values: new Float32Array([0.1, 0.9]) };
    },
    async close() {},
  },
} as unknown as LoadedModel;

describe('Pipeline.stop during a capture', () => {
  it('does not turn a frame that arrives after stop() into a result, and rejects a capture request waiting for it', async () => {
    const { config } = await loadConfig({ env: {}, overrides: { camera: { fps: 1 }, trigger: { mode: 'mqtt' } } as never });
    const ctx = createAgentContext({ ...config, device: { id: 'test-device' } }, pino({ level: 'silent' }), '/tmp');
    const submitted: ResultPayload[] = [];
    ctx.results = {
      submit: async (r) => {
        const full = { ...r, seq: submitted.length };
        submitted.push(full);
        return full;
      },
      depth: () => 0,
    };
    const camera = heldCamera();
    const pipeline = new Pipeline(ctx, camera, model);
    await pipeline.start();
    const requested = pipeline.capture('command');
    await camera.started;
    await pipeline.stop();
    camera.release();
    await expect(requested).rejects.toThrow(/stopping/);
    expect(submitted).toEqual([]);
    expect(ctx.stats.framesInferred).toBe(0);
  });
});
