// Whole-model agreement with TensorFlow Lite: one output tensor of ours against TFLite's
// on the same input. Shared by test/agreement/tflite-agreement.test.ts (host, vitest) and
// scripts/test-arm-node (arm64 Node under qemu), so that both hold the same criteria.
// No imports: the arm64 run compiles this file alone.

/** The criteria: top-1 identical, at least 99% of the outputs within 1, none beyond 3. */
export const MIN_WITHIN_1 = 0.99;
export const MAX_DIFFERENCE = 3;

export interface Agreement {
  /** Output elements of ours and of TFLite's. */
  length: number;
  expectedLength: number;
  /** Index of the largest output, ours and TFLite's (the first one on a tie). */
  top1: number;
  expectedTop1: number;
  /** Outputs that differ from TFLite's by at most 1, and the largest difference. */
  within1: number;
  worst: number;
}

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

export function compareOutputs(actual: ArrayLike<number>, expected: ArrayLike<number>): Agreement {
  const n = Math.min(actual.length, expected.length);
  let within1 = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d <= 1) within1++;
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d; // a NaN output is the worst difference
  }
  return {
    length: actual.length,
    expectedLength: expected.length,
    top1: argmax(actual),
    expectedTop1: argmax(expected),
    within1,
    worst,
  };
}

/** What breaks the criteria; empty when the outputs agree. */
export function agreementFailures(a: Agreement): string[] {
  const failures: string[] = [];
  if (a.length !== a.expectedLength) failures.push(`${a.length} outputs, TFLite has ${a.expectedLength}`);
  if (a.top1 !== a.expectedTop1) failures.push(`top-1 ${a.top1}, TFLite ${a.expectedTop1}`);
  if (!(a.within1 / a.expectedLength >= MIN_WITHIN_1)) {
    failures.push(`${a.within1}/${a.expectedLength} within 1, below ${MIN_WITHIN_1 * 100}%`);
  }
  if (!(a.worst <= MAX_DIFFERENCE)) failures.push(`a difference of ${a.worst}, above ${MAX_DIFFERENCE}`);
  return failures;
}

/** One line: "1001/1001 within 1, worst 1, top-1 286 (TFLite 286)". */
export function describeAgreement(a: Agreement): string {
  return `${a.within1}/${a.expectedLength} within 1, worst ${a.worst}, top-1 ${a.top1} (TFLite ${a.expectedTop1})`;
}
