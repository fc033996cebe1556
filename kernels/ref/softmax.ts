// Softmax over the last axis from the load-time table exp(-beta * inputScale * d).
// The operation order (sum in channel order, then divide, then scale, then round) is
// part of the contract: every implementation performs the same IEEE double operations.

import type { SoftmaxParams, UnaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'softmax';

/** Returns the element count of the input and of the output. */
export function validateSoftmax(p: SoftmaxParams): number {
  v.paramsObject(OP, p);
  const rows = v.positiveInt(OP, 'rows', p.rows);
  const channels = v.positiveInt(OP, 'channels', p.channels);
  v.uint8Value(OP, 'outputZeroPoint', p.outputZeroPoint);
  v.clampBounds(OP, '', p.min, p.max);
  v.finitePositive(OP, 'inverseOutputScale', p.inverseOutputScale);
  expTable(p.expTable);
  return v.elementCount(OP, 'input', rows, channels);
}

export function createSoftmax(p: SoftmaxParams): UnaryKernel {
  const size = validateSoftmax(p);
  const { channels, outputZeroPoint: zo, inverseOutputScale, min, max } = p;
  // A private copy: the caller keeps its array and may change it later.
  const table = Float64Array.from(p.expTable);

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, size);
      v.buffer(OP, 'output', output, Uint8Array, size);
      for (let start = 0; start < size; start += channels) {
        const end = start + channels;
        let top = 0;
        for (let i = start; i < end; i++) if (input[i] > top) top = input[i];
        let sum = 0;
        for (let i = start; i < end; i++) sum += table[top - input[i]];
        for (let i = start; i < end; i++) {
          const q = zo + Math.floor(table[top - input[i]] / sum * inverseOutputScale + 0.5);
          output[i] = q < min ? min : q > max ? max : q;
        }
      }
    },
  };
}

/** table[0] > 0 keeps every row's sum positive. */
function expTable(t: unknown): void {
  if (!(t instanceof Float64Array)) throw new TypeError(`${OP}: expTable must be a Float64Array`);
  if (t.length !== 256) throw new RangeError(`${OP}: expTable must have length 256, got ${t.length}`);
  for (let d = 0; d < 256; d++) {
    if (!(t[d] >= 0) || !Number.isFinite(t[d])) {
      throw new RangeError(`${OP}: expTable[${d}] must be finite and >= 0, got ${t[d]}`);
    }
  }
  if (!(t[0] > 0)) throw new RangeError(`${OP}: expTable[0] must be > 0, got ${t[0]}`);
}
