// The worker-thread session, tested as users run it: from the compiled output (npm test
// builds first), since a worker thread loads the compiled JavaScript.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../kernels/runtime.js';
import { modelPath, repoRoot } from '../support/paths.js';

type SessionModule = typeof import('../../kernels/session.js');
const { InferenceSession } = (await import(`${repoRoot}dist/kernels/session.js`)) as SessionModule;

const v2 = modelPath('mobilenet_v2_1.0_224_quant.tflite');
const pixels = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);

describe('InferenceSession', () => {
  it('gives the same output as running the model on this thread', async () => {
    const session = await InferenceSession.open(modelPath('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'js' });
    const input = pixels(128 * 128 * 3);
    const { raw, values } = await session.run(input);
    const runtime = await loadRuntime(modelPath('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'js' });
    expect(Array.from(raw)).toEqual(Array.from(runtime.run(input)));
    const { scale, zeroPoint } = session.info.output;
    expect(values[5]).toBeCloseTo(scale! * (raw[5] - zeroPoint!), 6);
    expect(session.info.labels?.[286]).toBe('Egyptian cat');
    await session.close();
  });

  it('keeps the event loop free while the TypeScript engine infers', async () => {
    const session = await InferenceSession.open(v2, { engine: 'js' });
    const input = pixels(224 * 224 * 3);
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const start = performance.now();
    for (let i = 0; i < 3; i++) await session.run(input);
    const busyMs = performance.now() - start;
    lag.disable();
    await session.close();
    // Three inferences take hundreds of milliseconds on this engine; on the calling
    // thread the loop would stall for each of them.
    expect(busyMs).toBeGreaterThan(150);
    expect(lag.max / 1e6).toBeLessThan(busyMs / 3);
  });

  it('reports a missing model as a ModelError naming the file', async () => {
    // The session module comes from dist/, so its ModelError is dist's class: match by name.
    await expect(InferenceSession.open('/nonexistent/model.tflite')).rejects.toMatchObject({ name: 'ModelError', file: '/nonexistent/model.tflite' });
    await expect(InferenceSession.open('/nonexistent/model.tflite')).rejects.toThrow(/model\.tflite: no such file/);
  });

  it('rejects an input of the wrong size with a clear error and keeps serving', async () => {
    const session = await InferenceSession.open(modelPath('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'js' });
    await expect(session.run(pixels(10))).rejects.toThrow(/input has 10 values; the model's input tensor .* takes 49152/);
    const { raw } = await session.run(pixels(128 * 128 * 3));
    expect(raw.length).toBe(1001);
    await session.close();
    await expect(session.run(pixels(128 * 128 * 3))).rejects.toThrow(/closed/);
  });
});
