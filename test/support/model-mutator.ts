// Damaged copies of a .tflite model for fuzzing the reader: bit flips, interesting values,
// offsets aimed at the end, truncations, inserted and deleted chunks, misplaced words.
// Mutations are mostly aimed at the structure (tables, vectors, strings, the label zip)
// rather than the weights, where they would only change numbers. Shared by the reader's
// fuzz test (test/tflite) and the fault suite (test/faults).
import type { Model } from '../../kernels/tflite/model-types.js';

/**
 * Byte ranges holding structure rather than weights: mutating weights only changes
 * numbers, so most mutations are aimed at the rest (tables, vectors, strings, the zip).
 */
export function structureRanges(model: Model, size: number): [number, number][] {
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

/**
 * The bytes of the operators' custom options (a detector's postprocess FlexBuffer), to aim
 * mutations at: the reader passes them through untouched, and only planning decodes them.
 */
export function customOptionsRanges(model: Model): [number, number][] {
  return model.operators
    .filter((op) => op.customOptions && op.customOptions.length > 0)
    .map((op) => [op.customOptions!.byteOffset, op.customOptions!.byteOffset + op.customOptions!.length]);
}

export interface Mutant {
  bytes: Uint8Array;
  how: string;
}

export function mutate(original: Uint8Array, random: () => number, ranges: [number, number][]): Mutant {
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
