// CONCATENATION as TensorFlow Lite computes it for uint8 (ConcatenationWithScaling): an
// input quantized like the output is copied; any other is requantized in float32,
// round(x * scale + bias) + output zero point with scale = inputScale * (1 / outputScale)
// and bias = -inputZeroPoint * scale, rounded half away from zero (ARITHMETIC.md). The
// result depends only on the input byte, so each requantized input gets a 256-entry table.

import type { ConcatenationKernel, ConcatenationParams } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'concatenation';

export interface ConcatenationSizes {
  inputSizes: number[];
  outputSize: number;
}

export function validateConcatenation(p: ConcatenationParams): ConcatenationSizes {
  v.paramsObject(OP, p);
  const outer = v.positiveInt(OP, 'outer', p.outer);
  const inner = v.positiveInt(OP, 'inner', p.inner);
  if (!Array.isArray(p.axisSizes) || p.axisSizes.length < 1) throw new TypeError(`${OP}: axisSizes must be a non-empty array`);
  const inputs = p.axisSizes.length;
  for (const [name, a] of [['inputScales', p.inputScales], ['inputZeroPoints', p.inputZeroPoints]] as const) {
    if (!Array.isArray(a) || a.length !== inputs) throw new TypeError(`${OP}: ${name} must be an array of ${inputs}, one per input`);
  }
  const inputSizes = p.axisSizes.map((d, i) => v.elementCount(OP, `input ${i}`, outer, v.positiveInt(OP, `axisSizes[${i}]`, d), inner));
  p.inputScales.forEach((s, i) => v.finitePositive(OP, `inputScales[${i}]`, s));
  p.inputZeroPoints.forEach((z, i) => v.uint8Value(OP, `inputZeroPoints[${i}]`, z));
  v.finitePositive(OP, 'outputScale', p.outputScale);
  v.uint8Value(OP, 'outputZeroPoint', p.outputZeroPoint);
  const axis = p.axisSizes.reduce((a, b) => a + b, 0);
  return { inputSizes, outputSize: v.elementCount(OP, 'output', outer, axis, inner) };
}

/** The 256-entry requantization table of one input, or null when the input is copied. */
export function concatenationTable(inputScale: number, inputZeroPoint: number, outputScale: number, outputZeroPoint: number): Uint8Array | null {
  const f = Math.fround;
  if (inputZeroPoint === outputZeroPoint && f(inputScale) === f(outputScale)) return null;
  const scale = f(f(inputScale) * f(1 / f(outputScale)));
  const bias = f(-inputZeroPoint * scale);
  const table = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const r = f(f(x * scale) + bias);
    const y = (r < 0 ? -Math.round(-r) : Math.round(r)) + outputZeroPoint;
    table[x] = y < 0 ? 0 : y > 255 ? 255 : y;
  }
  return table;
}

export function createConcatenation(p: ConcatenationParams): ConcatenationKernel {
  const { inputSizes, outputSize } = validateConcatenation(p);
  const { outer, inner } = p;
  const chunks = p.axisSizes.map((d) => d * inner);
  const tables = p.axisSizes.map((_, i) => concatenationTable(p.inputScales[i], p.inputZeroPoints[i], p.outputScale, p.outputZeroPoint));

  return {
    run(inputs: readonly Uint8Array[], output: Uint8Array): void {
      if (!Array.isArray(inputs) || inputs.length !== chunks.length) throw new TypeError(`${OP}: inputs must be an array of ${chunks.length}`);
      inputs.forEach((x, i) => v.buffer(OP, `input ${i}`, x, Uint8Array, inputSizes[i]));
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      let at = 0;
      for (let k = 0; k < outer; k++) {
        for (let i = 0; i < chunks.length; i++) {
          const n = chunks[i];
          const from = k * n;
          const table = tables[i];
          const x = inputs[i];
          if (table === null) output.set(x.subarray(from, from + n), at);
          else for (let j = 0; j < n; j++) output[at + j] = table[x[from + j]];
          at += n;
        }
      }
    },
  };
}
