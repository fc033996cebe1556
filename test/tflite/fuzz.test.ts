// Mutation fuzzing of the smallest shipped model: thousands of damaged copies (bit flips,
// interesting values, offsets aimed at the end, truncations, inserted and deleted
// chunks), each of which must load or throw a ModelError, quickly, and without building
// more than a bounded amount of memory. Seeded, so any failure names its case and can be
// replayed with FUZZ_SEED / FUZZ_CASES.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../kernels/tflite/errors.js';
import type { Model } from '../../kernels/tflite/model-types.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { planModel } from '../../kernels/graph/plan.js';
import { refKernels } from '../../kernels/ref/index.js';
import { customOptionsRanges, mutate, structureRanges } from '../support/model-mutator.js';
import { mulberry32 } from '../support/rng.js';

const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const MAX_CASE_MS = 1000;
/**
 * The reader's budget (flatbuffer-reader.ts): 2 units per byte of file plus 64 Ki units,
 * a unit being roughly 8 bytes of heap. The heap bound adds room for the label strings,
 * error objects and garbage not yet collected.
 */
const maxFootprint = (size: number) => 2 * size + 65_536;
const maxHeapGrowth = (size: number) => 32 * size + 8 * 2 ** 20;
/** Every how many cases the retained heap is measured (it needs a full GC). */
const HEAP_SAMPLE = 50;

const original = new Uint8Array(readFileSync(new URL('../../models/mobilenet_v1_0.25_128_quant.tflite', import.meta.url)));

/** Numbers and characters the model holds, constant data excepted (views into the file). */
function footprint(model: Model): number {
  let units = model.description.length + model.metadataNames.join('').length + model.warnings.join('').length;
  for (const t of model.tensors) {
    units += 8 + t.name.length + t.shape.length;
    if (t.quantization) units += 2 * t.quantization.scale.length;
  }
  for (const op of model.operators) {
    units += 8 + op.inputs.length + op.outputs.length;
    if (op.options.kind === 'reshape') units += op.options.newShape?.length ?? 0;
    if (op.options.kind === 'squeeze') units += op.options.squeezeDims.length;
  }
  for (const label of model.labels ?? []) units += 1 + label.length;
  return units;
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('fuzzing the reader with damaged models', () => {
  it(`loads or rejects each of ${CASES} mutants cleanly, in bounded time and memory`, () => {
    // What a loaded model holds, and the heap a read leaves behind, stay proportional to
    // the file (checked per case below): no mutation makes the reader build a structure
    // the file cannot hold.
    const gc = collectGarbage();
    const ranges = structureRanges(readModel(original, 'original.tflite'), original.length);
    const random = mulberry32(SEED);
    let loaded = 0;
    let rejected = 0;
    let slowest = { ms: 0, how: '' };
    let maxFootprintRatio = 0;
    let maxHeapGrowthMb = 0;
    const reasons = new Map<string, number>();
    const start = performance.now();

    for (let i = 0; i < CASES; i++) {
      const { bytes, how } = mutate(original, random, ranges);
      const label = `case ${i} (seed ${SEED}): ${how}`;
      const measureHeap = i % HEAP_SAMPLE === 0;
      if (measureHeap) gc();
      const heapBefore = measureHeap ? process.memoryUsage().heapUsed : 0;
      const caseStart = performance.now();
      let model: Model | null = null;
      try {
        model = readModel(bytes, 'fuzz.tflite');
      } catch (error) {
        if (!(error instanceof ModelError)) {
          throw new Error(`${label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
        }
        expect(error.message.startsWith('fuzz.tflite: '), label).toBe(true);
        expect(error.message, label).not.toMatch(/undefined|\n/);
        const reason = error.reason.replace(/'[^']*'/g, "'…'").replace(/-?\d+(\.\d+)?/g, 'N');
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        rejected++;
      }
      const ms = performance.now() - caseStart;
      if (ms > slowest.ms) slowest = { ms, how: label };
      expect(ms, label).toBeLessThan(MAX_CASE_MS);
      if (measureHeap) {
        const growth = process.memoryUsage().heapUsed - heapBefore;
        expect(growth, label).toBeLessThan(maxHeapGrowth(bytes.length));
        maxHeapGrowthMb = Math.max(maxHeapGrowthMb, growth / 2 ** 20);
      }
      if (model) {
        loaded++;
        expect(footprint(model), label).toBeLessThan(maxFootprint(bytes.length));
        maxFootprintRatio = Math.max(maxFootprintRatio, footprint(model) / bytes.length);
      }
    }

    const totalMs = performance.now() - start;
    if (process.env.FUZZ_REASONS) console.log([...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n}\t${r}`).join("\n"));
    console.log(
      `fuzz: ${CASES} cases in ${(totalMs / 1000).toFixed(1)} s, ${loaded} loaded, ${rejected} rejected; ` +
      `slowest ${slowest.ms.toFixed(1)} ms (${slowest.how}); ` +
      `max model footprint ${maxFootprintRatio.toFixed(3)} units/byte; max heap growth ${maxHeapGrowthMb.toFixed(1)} MB ` +
      `(every ${HEAP_SAMPLE}th case); ` +
      `${reasons.size} distinct rejection messages`,
    );
    // Both outcomes must be common, or the mutations are not exercising the reader.
    expect(loaded).toBeGreaterThan(CASES * 0.1);
    expect(rejected).toBeGreaterThan(CASES * 0.3);
  });
});

const DETECTOR_CASES = Number(process.env.FUZZ_DETECTOR_CASES ?? 300);
const detector = new Uint8Array(readFileSync(new URL('../../models/ssd_mobilenet_v1_coco_quant.tflite', import.meta.url)));

describe('fuzzing the detector: reader, planner and the head\'s kernels', () => {
  it(`loads and plans, or rejects with a ModelError, each of ${2 * DETECTOR_CASES} mutants`, () => {
    // Half aimed at the file's structure, half at the postprocess's FlexBuffer options,
    // which only planning decodes. A plan's head kernels are built too: the lowering must
    // refuse whatever their argument checks would.
    const original = readModel(detector, 'original.tflite');
    const targets = [structureRanges(original, detector.length), customOptionsRanges(original)];
    expect(targets[1]).toHaveLength(1);
    const random = mulberry32(SEED + 1);
    const outcomes = { planned: 0, rejected: 0 };
    for (let i = 0; i < 2 * DETECTOR_CASES; i++) {
      const { bytes, how } = mutate(detector, random, targets[i % 2]);
      const label = `detector case ${i} (seed ${SEED + 1}): ${how}`;
      const caseStart = performance.now();
      try {
        const plan = planModel(readModel(bytes, 'fuzz.tflite'));
        for (const step of plan.steps) {
          if (step.kind === 'detectionPostprocess') refKernels.detectionPostprocess(step.params);
          if (step.kind === 'concatenation') refKernels.concatenation(step.params);
          if (step.kind === 'logistic') refKernels.logistic(step.params);
        }
        outcomes.planned++;
      } catch (error) {
        if (!(error instanceof ModelError)) {
          throw new Error(`${label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
        }
        expect(error.message.startsWith('fuzz.tflite: '), label).toBe(true);
        expect(error.message, label).not.toMatch(/undefined|\n/);
        outcomes.rejected++;
      }
      expect(performance.now() - caseStart, label).toBeLessThan(MAX_CASE_MS);
    }
    console.log(`detector fuzz: ${2 * DETECTOR_CASES} cases, ${outcomes.planned} planned, ${outcomes.rejected} rejected`);
    expect(outcomes.planned).toBeGreaterThan(DETECTOR_CASES * 0.1);
    expect(outcomes.rejected).toBeGreaterThan(DETECTOR_CASES * 0.1);
  });
});
