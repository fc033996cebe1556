// Item 6 of issue 5, model files: 10,000 damaged copies of the smallest shipped model
// through the reader and, for those it reads, the planner (lowering, arena), which is what
// loading a model does before any inference; every 25th planned mutant is also prepared
// on the native kernels and run once. Each must load or fail with a ModelError, within a
// time bound per case, with the heap bounded. Seeded like test/tflite/fuzz.test.ts (which
// runs 3,000 cases of the reader alone), with its own seed so the cases differ.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { selectEngine } from '../../kernels/engine.js';
import { Executor } from '../../kernels/graph/executor.js';
import { planModel, type Plan } from '../../kernels/graph/plan.js';
import { ModelError } from '../../kernels/tflite/errors.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { modelPath } from '../support/paths.js';
import { mutate, structureRanges } from '../support/model-mutator.js';
import { mulberry32 } from '../support/rng.js';
import { recordFigure } from './report.js';

const CASES = Number(process.env.FAULTS_MODEL_CASES ?? 10_000);
const SEED = Number(process.env.FAULTS_MODEL_SEED ?? 6_000_006);
const MAX_CASE_MS = 1000;
const RUN_EVERY = 4;
/** Heap in use at any sample, and what stays after a full collection at the end. */
const MAX_HEAP_MB = 256;
const MAX_RETAINED_GROWTH_MB = 32;
const MODEL = 'mobilenet_v1_0.25_128_quant.tflite';

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 6: damaged model files at scale', { timeout: 180_000 }, () => {
  it('refuses a convolution whose weights have an empty dimension with a ModelError (found by this fuzzing)', () => {
    // Seed 6000006, case 7019: a weight tensor's shape dimension zeroed; it used to reach
    // the kernels, which threw a RangeError that named no file.
    const bytes = new Uint8Array(readFileSync(modelPath(MODEL)));
    new DataView(bytes.buffer).setUint32(497464, 0, true);
    const model = readModel(bytes, 'fuzz.tflite');
    expect(() => planModel(model)).toThrow(ModelError);
    expect(() => planModel(model)).toThrow(/^fuzz\.tflite: operator 4 \(CONV_2D\): a \d+x\d+ window is not valid$/);
  });

  it(`loads or refuses each of ${CASES} mutants with a ModelError, in bounded time and memory`, async () => {
    const gc = collectGarbage();
    const original = new Uint8Array(readFileSync(modelPath(MODEL)));
    const ranges = structureRanges(readModel(original, MODEL), original.length);
    const { kernels } = await selectEngine('auto', 1);
    const random = mulberry32(SEED);
    const outcomes = { read: 0, planned: 0, ran: 0, refusedByReader: 0, refusedByPlanner: 0, refusedAtPrepare: 0 };
    let slowest = { ms: 0, how: '' };
    gc();
    const heapStart = process.memoryUsage().heapUsed;
    let heapPeak = heapStart;
    const started = performance.now();

    for (let i = 0; i < CASES; i++) {
      const { bytes, how } = mutate(original, random, ranges);
      const label = `case ${i} (seed ${SEED}): ${how}`;
      const caseStart = performance.now();
      let stage: 'reader' | 'planner' | 'prepare' = 'reader';
      try {
        const model = readModel(bytes, 'fuzz.tflite');
        outcomes.read++;
        stage = 'planner';
        const plan: Plan = planModel(model);
        outcomes.planned++;
        if (outcomes.planned % RUN_EVERY === 0) {
          stage = 'prepare';
          const executor = new Executor(plan, kernels);
          executor.run();
          outcomes.ran++;
        }
      } catch (error) {
        if (!(error instanceof ModelError)) {
          throw new Error(`${label}: the ${stage} threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
        }
        expect(error.message.startsWith('fuzz.tflite: '), label).toBe(true);
        expect(error.message, label).not.toMatch(/undefined|\n/);
        if (stage === 'reader') outcomes.refusedByReader++;
        else if (stage === 'planner') outcomes.refusedByPlanner++;
        else outcomes.refusedAtPrepare++;
      }
      const ms = performance.now() - caseStart;
      if (ms > slowest.ms) slowest = { ms, how: label };
      expect(ms, label).toBeLessThan(MAX_CASE_MS);
      const heap = process.memoryUsage().heapUsed;
      if (heap > heapPeak) heapPeak = heap;
      expect(mb(heap), `heap in use after ${label}`).toBeLessThan(MAX_HEAP_MB);
    }
    const totalMs = performance.now() - started;
    gc();
    const retainedGrowth = process.memoryUsage().heapUsed - heapStart;
    expect(mb(retainedGrowth)).toBeLessThan(MAX_RETAINED_GROWTH_MB);
    // Both outcomes must be common, or the mutations are not reaching the reader and planner.
    expect(outcomes.planned).toBeGreaterThan(CASES * 0.1);
    expect(outcomes.refusedByReader).toBeGreaterThan(CASES * 0.3);

    recordFigure('6', 'damaged model files', {
      'mutants': CASES,
      'read and planned (loadable)': outcomes.planned,
      'of them prepared on the kernels and run once': `${outcomes.ran} (every ${RUN_EVERY}th, ${kernels.name})`,
      'refused by the reader (ModelError)': outcomes.refusedByReader,
      'refused by the planner (ModelError)': outcomes.refusedByPlanner,
      'refused when prepared (ModelError)': outcomes.refusedAtPrepare,
      'other errors or crashes': 0,
      'total time (s)': Math.round(totalMs / 100) / 10,
      'mean per case (ms)': Math.round((totalMs / CASES) * 100) / 100,
      'slowest case (ms)': `${slowest.ms.toFixed(1)} (limit ${MAX_CASE_MS}; ${slowest.how.replace(/^case \d+ \(seed \d+\): /, '')})`,
      'peak heap in use (MB)': `${mb(heapPeak)} (limit ${MAX_HEAP_MB})`,
      'heap retained after the run, over the start (MB)': `${mb(retainedGrowth)} (limit ${MAX_RETAINED_GROWTH_MB})`,
    }, `${CASES} mutants (seed ${SEED}) of ${MODEL} (${original.length} bytes), made by test/support/model-mutator.ts: bit ` +
      'flips, interesting bytes and words, offsets aimed at the end of the file, truncations, inserted and deleted chunks and ' +
      'misplaced words, 80% aimed at the structure rather than the weights. Each went through readModel and, when read, ' +
      `planModel (lowering and arena planning, what loading does before inference); every ${RUN_EVERY}th planned one was ` +
      'also prepared on the native kernels (weights packed) and run once. Required: a model or a ModelError naming the file ' +
      `on one line, nothing else thrown and no crash, each case under ${MAX_CASE_MS} ms, heap in use (sampled after every case) ` +
      `under ${MAX_HEAP_MB} MB. Measured in the test process, on one thread, without the worker a running agent loads models on.`);
  });
});
