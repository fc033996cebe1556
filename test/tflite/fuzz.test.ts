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

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Byte ranges holding structure rather than weights: mutating weights only changes
 * numbers, so most mutations are aimed at the rest (tables, vectors, strings, the zip).
 */
function structureRanges(model: Model, size: number): [number, number][] {
  const weights = model.tensors
    .filter((t) => t.data)
    .map((t) => [t.data!.byteOffset, t.data!.byteOffset + t.data!.length] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const ranges: [number, number][] = [];
  let at = 0;
  for (const [start, end] of weights) {
    if (start > at) ranges.push([at, start]);
    at = Math.max(at, end);
  }
  if (at < size) ranges.push([at, size]);
  return ranges;
}

interface Mutant {
  bytes: Uint8Array;
  how: string;
}

function mutate(random: () => number, ranges: [number, number][]): Mutant {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const structuralBytes = ranges.reduce((n, [start, end]) => n + end - start, 0);
  // Half uniform over the structural bytes (mostly the tables and the label archive),
  // half over the ranges (which reaches the root and the buffer headers between weights).
  const structural = () => {
    if (random() < 0.5) {
      const [start, end] = pick(ranges);
      return start + int(end - start);
    }
    let left = int(structuralBytes);
    for (const [start, end] of ranges) {
      if (left < end - start) return start + left;
      left -= end - start;
    }
    return 0;
  };
  const anywhere = () => int(original.length);
  const position = () => (random() < 0.8 ? structural() : anywhere());
  const bytes = original.slice();
  const view = new DataView(bytes.buffer);
  const kind = int(9);
  switch (kind) {
    case 0: {
      const flips = 1 + int(8);
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const p = position();
        bytes[p] ^= 1 << int(8);
        at.push(p);
      }
      return { bytes, how: `bit flips at ${at.join(',')}` };
    }
    case 1: {
      const p = position();
      const value = pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe]);
      bytes[p] = value;
      return { bytes, how: `byte ${p} = 0x${value.toString(16)}` };
    }
    case 2: {
      const p = position() & ~3;
      const value = pick([0, 0xffffffff, 0x7fffffff, 0x80000000, 1, 4, bytes.length, bytes.length - p, bytes.length - p - 4, int(bytes.length)]);
      view.setUint32(p, value >>> 0, true);
      return { bytes, how: `u32 at ${p} = ${value >>> 0}` };
    }
    case 3: {
      // An offset aimed exactly at (or just before) the end of the file.
      const p = position() & ~3;
      const back = pick([0, 1, 2, 3, 4, 8]);
      view.setUint32(p, Math.max(0, bytes.length - p - back), true);
      return { bytes, how: `offset at ${p} aimed ${back} bytes before the end` };
    }
    case 4: {
      const p = position() & ~1;
      const value = pick([0, 0xffff, 0x8000, 4, 2, 6, int(0x10000)]);
      view.setUint16(p, value, true);
      return { bytes, how: `u16 at ${p} = ${value}` };
    }
    case 5: {
      const cut = random() < 0.5 ? structural() : anywhere();
      return { bytes: bytes.subarray(0, cut), how: `truncated at ${cut}` };
    }
    case 6: {
      const p = position();
      const length = pick([1, 2, 3, 4, 8, 16, 100, 4096]);
      const chunk = Uint8Array.from({ length }, () => int(256));
      const out = new Uint8Array(bytes.length + length);
      out.set(bytes.subarray(0, p));
      out.set(chunk, p);
      out.set(bytes.subarray(p), p + length);
      return { bytes: out, how: `${length} random bytes inserted at ${p}` };
    }
    case 7: {
      const p = position();
      const length = Math.min(pick([1, 2, 3, 4, 8, 16, 100, 4096]), bytes.length - p);
      const out = new Uint8Array(bytes.length - length);
      out.set(bytes.subarray(0, p));
      out.set(bytes.subarray(p + length), p);
      return { bytes: out, how: `${length} bytes deleted at ${p}` };
    }
    default: {
      // Copy a structural word elsewhere: plausible offsets in the wrong place.
      const from = structural() & ~3;
      const to = structural() & ~3;
      bytes.copyWithin(to, from, from + 4);
      return { bytes, how: `word at ${from} copied to ${to}` };
    }
  }
}

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
    const random = prng(SEED);
    let loaded = 0;
    let rejected = 0;
    let slowest = { ms: 0, how: '' };
    let maxFootprintRatio = 0;
    let maxHeapGrowthMb = 0;
    const reasons = new Map<string, number>();
    const start = performance.now();

    for (let i = 0; i < CASES; i++) {
      const { bytes, how } = mutate(random, ranges);
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
