// The simulated camera served as a stream (camera.sim.stream, --camera sim-stream:DIR): the
// folder in order at camera.fps whether or not anyone takes the frames, the ones nobody
// took dropped and counted, and a fault ending the stream with its reason until a restart.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Camera } from '../../../../agent/camera/camera.js';
import { cameraFromSpec } from '../../../../agent/camera/camera-spec.js';
import { createCamera } from '../../../../agent/camera/factory.js';
import { imagePath } from '../../../support/paths.js';
import { testContext } from '../test-context.js';

let dir: string;
let camera: Camera | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-agent-sim-stream-'));
  copyFileSync(imagePath('cat.png'), join(dir, 'a.png'));
  copyFileSync(imagePath('parrot.jpg'), join(dir, 'b.jpg'));
});

afterEach(async () => {
  await camera?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the simulated camera as a stream', () => {
  it('is what --camera sim-stream:DIR configures', () => {
    expect(cameraFromSpec(`sim-stream:${dir}`)).toEqual({ type: 'sim', sim: { images: dir, stream: true } });
    expect(cameraFromSpec(`sim:${dir}`)).toEqual({ type: 'sim', sim: { images: dir, stream: false } });
  });

  it('streams the folder in order at camera.fps; frames nobody took are dropped and counted', async () => {
    const { ctx } = await testContext({ camera: { type: 'sim', fps: 50, sim: { images: dir, stream: true } } });
    camera = createCamera(ctx);
    expect(camera.name).toBe(`sim-stream:${dir}`);
    const first = await camera.capture();
    const second = await camera.capture();
    expect([first.source, second.source]).toEqual(['a.png', 'b.jpg']);
    expect(ctx.stats.framesDropped).toBe(0);
    await sleep(300);
    await camera.capture();
    expect(ctx.stats.framesDropped).toBeGreaterThan(0);
    expect(ctx.stats.stream.frames).toBe(ctx.stats.framesDropped + 3);
  });

  it('ends the stream with the fault\'s reason, and starts again at the next capture', async () => {
    const { ctx } = await testContext({ camera: { type: 'sim', fps: 50, sim: { images: dir, stream: true } } });
    camera = createCamera(ctx);
    await camera.capture();
    writeFileSync(join(dir, '.faults'), 'error\n');
    await expect((async () => {
      for (;;) await camera!.capture();
    })()).rejects.toThrow(/simulated capture error/);
    rmSync(join(dir, '.faults'));
    await expect(camera.capture()).resolves.toMatchObject({ source: expect.stringMatching(/\.(png|jpg)$/) });
    expect(ctx.stats.stream.restarts).toBe(1);
  });
});
