// RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (ARITHMETIC.md). Both factories work out,
// once, where each output row and column reads the input (and, for bilinear, the Q11
// weights), in float32 as TFLite and XNNPACK do; run() only gathers.

import type { ResizeParams, UnaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const f32 = Math.fround;
const roundHalfEven = (x: number): number => x + 6755399441055744 - 6755399441055744;
/** C's roundf: half away from zero. */
const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

export function validateResize(op: string, p: ResizeParams): v.Sizes {
  v.paramsObject(op, p);
  const inputH = v.positiveInt(op, 'inputH', p.inputH);
  const inputW = v.positiveInt(op, 'inputW', p.inputW);
  const channels = v.positiveInt(op, 'channels', p.channels);
  const outputH = v.positiveInt(op, 'outputH', p.outputH);
  const outputW = v.positiveInt(op, 'outputW', p.outputW);
  if (typeof p.alignCorners !== 'boolean' || typeof p.halfPixelCenters !== 'boolean') {
    throw new TypeError(`${op}: alignCorners and halfPixelCenters must be booleans`);
  }
  if (p.alignCorners && p.halfPixelCenters) throw new RangeError(`${op}: alignCorners and halfPixelCenters exclude each other`);
  return {
    inputSize: v.elementCount(op, 'input', inputH, inputW, channels),
    outputSize: v.elementCount(op, 'output', outputH, outputW, channels),
  };
}

/** input / output, or (input - 1) / (output - 1) with alignCorners, in float32. */
function axisScale(input: number, output: number, alignCorners: boolean): number {
  return alignCorners && output > 1 ? f32((input - 1) / (output - 1)) : f32(input / output);
}

/** TFLite's nearest-neighbour source index of each output position along one axis. */
export function nearestIndices(input: number, output: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const scale = axisScale(input, output, alignCorners);
  const offset = halfPixelCenters ? 0.5 : 0;
  return Int32Array.from({ length: output }, (_, o) => {
    const at = f32(f32(o + offset) * scale);
    const i = Math.min(alignCorners ? roundHalfAway(at) : Math.floor(at), input - 1);
    return halfPixelCenters ? Math.max(0, i) : i;
  });
}

/** Along one axis: the two source indices of each output position and the weight of the second, in Q11 (XNNPACK's). */
export interface BilinearAxis {
  first: Int32Array;
  second: Int32Array;
  alpha: Int32Array;
}

export function bilinearAxis(input: number, output: number, alignCorners: boolean, halfPixelCenters: boolean): BilinearAxis {
  const scale = axisScale(input, output, alignCorners);
  const offset = f32(f32(0.5 * scale) - 0.5);
  const axis = { first: new Int32Array(output), second: new Int32Array(output), alpha: new Int32Array(output) };
  for (let o = 0; o < output; o++) {
    let at = f32(o * scale);
    if (halfPixelCenters) at = Math.min(Math.max(f32(at + offset), 0), input - 1);
    const first = Math.trunc(at);
    axis.first[o] = first;
    axis.second[o] = Math.min(first + 1, input - 1);
    // f32(at - first) is exact; times 2048 too.
    axis.alpha[o] = roundHalfEven(f32(at - first) * 2048);
  }
  return axis;
}

export function createResizeNearest(p: ResizeParams): UnaryKernel {
  const OP = 'resizeNearest';
  const { inputSize, outputSize } = validateResize(OP, p);
  const { channels: c, inputW } = p;
  const rows = nearestIndices(p.inputH, p.outputH, p.alignCorners, p.halfPixelCenters);
  const cols = nearestIndices(p.inputW, p.outputW, p.alignCorners, p.halfPixelCenters);
  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      let o = 0;
      for (const y of rows) {
        for (const x of cols) {
          output.set(input.subarray((y * inputW + x) * c, (y * inputW + x + 1) * c), o);
          o += c;
        }
      }
    },
  };
}

export function createResizeBilinear(p: ResizeParams): UnaryKernel {
  const OP = 'resizeBilinear';
  const { inputSize, outputSize } = validateResize(OP, p);
  const { channels: c, inputW } = p;
  const rows = bilinearAxis(p.inputH, p.outputH, p.alignCorners, p.halfPixelCenters);
  const cols = bilinearAxis(p.inputW, p.outputW, p.alignCorners, p.halfPixelCenters);
  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      let o = 0;
      for (let oy = 0; oy < p.outputH; oy++) {
        const top = rows.first[oy] * inputW;
        const bottom = rows.second[oy] * inputW;
        const ay = rows.alpha[oy];
        for (let ox = 0; ox < p.outputW; ox++) {
          const tl = (top + cols.first[ox]) * c;
          const tr = (top + cols.second[ox]) * c;
          const bl = (bottom + cols.first[ox]) * c;
          const br = (bottom + cols.second[ox]) * c;
          const ax = cols.alpha[ox];
          for (let k = 0; k < c; k++) {
            // Q11 horizontally, then Q11 vertically: Q22, rounded half up.
            const t = input[tl + k] * 2048 + (input[tr + k] - input[tl + k]) * ax;
            const b = input[bl + k] * 2048 + (input[br + k] - input[bl + k]) * ax;
            output[o++] = (t * 2048 + (b - t) * ay + 2097152) >> 22;
          }
        }
      }
    },
  };
}
