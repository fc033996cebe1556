// The inference worker under supervision, with real parts: the shipped 0.25/128 model on
// real worker threads, the durable outbox numbering results, images from samples/. The
// worker is terminated behind the pipeline's back, as a crash of the thread ends it. A
// worker thread loads the compiled JavaScript, so these parts come from dist/ (npm test
// builds first).
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileSha256 } from '../../agent/control/model-store.js';
import type { Outbox } from '../../agent/outbox/outbox.js';
import type { LoadedModel, Pipeline } from '../../agent/pipeline/pipeline.js';
import type { ResultPayload } from '../../agent/pipeline/result.js';
import { createTestContext, type TestContext } from '../support/agent-context.js';
import { modelPath, repoRoot } from '../support/paths.js';
import { camera, cat, parrot } from './pipeline-fakes.js';

const { InferenceSession } = (await import(`${repoRoot}dist/kernels/session.js`)) as typeof import('../../kernels/session.js');
const { openOutbox } = (await import(`${repoRoot}dist/agent/outbox/open-outbox.js`)) as typeof import('../../agent/outbox/open-outbox.js');
const { modelName, Pipeline: CompiledPipeline } = (await import(`${repoRoot}dist/agent/pipeline/pipeline.js`)) as typeof import('../../agent/pipeline/pipeline.js');

const MODEL = modelPath('mobilenet_v1_0.25_128_quant.tflite');

let test: TestContext | null = null;
let pipeline: Pipeline | null = null;
let outbox: Outbox | null = null;
const scratch: string[] = [];
afterEach(async () => {
  await pipeline?.stop();
  await outbox?.close();
  test?.cleanup();
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  pipeline = outbox = test = null;
});

async function loaded(file: string): Promise<LoadedModel> {
  return { file, session: await InferenceSession.open(file, { engine: 'auto', threads: 1 }), name: modelName(file), labels: null, sha256: await fileSha256(file) };
}

/** Resolves with the first `count` results the context records. */
function results(t: TestContext, count: number, timeoutMs = 30_000): Promise<ResultPayload[]> {
  const seen: ResultPayload[] = [];
  return new Promise((resolve, reject) => {
    const onResult = (r: ResultPayload): void => {
      seen.push(r);
      if (seen.length < count) return;
      clearTimeout(timer);
      t.ctx.events.off('result', onResult);
      resolve(seen);
    };
    const timer = setTimeout(() => {
      t.ctx.events.off('result', onResult);
      reject(new Error(`only ${seen.length} of ${count} results within ${timeoutMs} ms`));
    }, timeoutMs);
    t.ctx.events.on('result', onResult);
  });
}

describe('the inference worker under supervision', () => {
  it('is restarted when it dies mid-stream: inference is degraded meanwhile, results resume with no seq gap', async () => {
    test = await createTestContext({ config: { camera: { fps: 20 } } });
    const { ctx } = test;
    outbox = await openOutbox(ctx);
    ctx.results = outbox;
    const health: { part: string; degraded: boolean }[] = [];
    ctx.events.on('health', (h) => health.push(h));
    const first = await loaded(MODEL);
    const twelve = results(test, 12);
    pipeline = new CompiledPipeline(ctx, camera([cat, parrot]), first);
    await pipeline.start();
    await results(test, 4);
    await first.session.close();
    await test.waitForLog(/the inference worker died/);
    expect(ctx.degraded.get('inference')).toMatch(/the inference worker died \(the inference session is closed\); restarting it/);
    const seqs = (await twelve).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i));
    await test.waitForLog(/the inference worker is back/);
    expect(ctx.degraded.has('inference')).toBe(false);
    expect(health.filter((h) => h.part === 'inference').map((h) => h.degraded)).toEqual([true, false]);
  });

  it('gives up after a few failed restarts and says the agent must stop (fatal)', async () => {
    test = await createTestContext({ config: { camera: { fps: 10 } } });
    const { ctx } = test;
    const dir = mkdtempSync(join(tmpdir(), 'edge-agent-model-'));
    scratch.push(dir);
    const file = join(dir, 'model.tflite');
    copyFileSync(MODEL, file);
    ctx.results = { submit: async (r) => ({ ...r, seq: 0 }), depth: () => 0 };
    const fatal = new Promise<{ part: string; reason: string }>((resolve) => ctx.events.once('fatal', resolve));
    const first = await loaded(file);
    pipeline = new CompiledPipeline(ctx, camera([cat]), first);
    await pipeline.start();
    // The model file is gone bad, so no new worker can load it.
    writeFileSync(file, 'not a model');
    await first.session.close();
    const { part, reason } = await fatal;
    expect(part).toBe('inference');
    expect(reason).toMatch(/could not be restarted in 5 attempts \(last: .*model\.tflite/);
    expect(test.logs.filter((r) => /could not be restarted$/.test(r.msg))).toHaveLength(5);
    expect(ctx.stats.frameErrors.inference).toBeGreaterThan(0);
  });
});
