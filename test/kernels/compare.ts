// Runs a kernel the way the graph executor does and compares its bytes with the
// plain-loop reference. Outputs get guard bytes past the required length, a kernel is
// run twice on different inputs (no state may leak between runs), and a failure names
// the implementation, the seed and the case so that it reproduces.

import { BASE_SEED } from '../support/rng.js';

export interface Case {
  implementation: string;
  op: string;
  seed: number;
  /** The builder settings, for the failure message. */
  settings: Record<string, unknown>;
}

const GUARD = 8;
const SENTINEL = 0xa5;

export function describeCase(c: Case): string {
  return `${c.op} on ${c.implementation}, seed ${c.seed} (replay with the builder's .seed(${c.seed}); ` +
    `base KERNEL_TEST_SEED=${BASE_SEED}), ${JSON.stringify(c.settings)}`;
}

export function guarded(length: number): Uint8Array {
  return new Uint8Array(length + GUARD).fill(SENTINEL);
}

/** Throws with the first differing element, the count of differences and the case. */
export function expectSameBytes(
  c: Case, actual: Uint8Array, expected: Uint8Array, locate: (i: number) => string = (i) => `[${i}]`,
): void {
  let first = -1;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first >= 0) {
    throw new Error(`${describeCase(c)}: output${locate(first)} = ${actual[first]}, expected ${expected[first]}` +
      ` (${count} of ${expected.length} differ)`);
  }
  for (let i = expected.length; i < actual.length; i++) {
    if (actual[i] !== SENTINEL) throw new Error(`${describeCase(c)}: wrote past the output's end at [${i}]`);
  }
}

export function expectSameFloats(c: Case, actual: Float32Array, expected: Float32Array): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${describeCase(c)}: output[${i}] = ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** NHWC position of a flat index, for messages. */
export function pixelLocator(width: number, channels: number): (i: number) => string {
  return (i) => {
    const c = i % channels;
    const p = (i - c) / channels;
    return `[y ${Math.floor(p / width)}, x ${p % width}, c ${c}]`;
  };
}
