// Average pool; `count` is the number of taps inside the input (padding excluded).
// Sums are of uncentred uint8 values; centring happens once per output as
// sum - count * z, which is the same integer.

import type { AveragePoolParams, UnaryKernel } from '../kernel-set.js';
import { tapHi, tapLo } from './conv-geometry.js';
import * as v from './validate.js';

const OP = 'averagePool';

export function validateAveragePool(p: AveragePoolParams): v.Sizes {
  v.paramsObject(OP, p);
  for (const name of ['inputH', 'inputW', 'channels', 'outputH', 'outputW',
    'filterH', 'filterW', 'strideH', 'strideW'] as const) {
    v.positiveInt(OP, name, p[name]);
  }
  const padTop = v.nonNegativeInt(OP, 'padTop', p.padTop);
  const padLeft = v.nonNegativeInt(OP, 'padLeft', p.padLeft);
  v.uint8Value(OP, 'zeroPoint', p.zeroPoint);
  v.clampBounds(OP, '', p.min, p.max);
  const { inputH, inputW, channels, outputH, outputW, filterH, filterW, strideH, strideW } = p;
  // Every window needs at least one input tap, or its average is undefined.
  if (padTop >= filterH || (outputH - 1) * strideH - padTop >= inputH) {
    throw new RangeError(`${OP}: padTop/outputH/strideH leave a window with no input row`);
  }
  if (padLeft >= filterW || (outputW - 1) * strideW - padLeft >= inputW) {
    throw new RangeError(`${OP}: padLeft/outputW/strideW leave a window with no input column`);
  }
  v.elementCount(OP, 'filter', filterH, filterW);
  return {
    inputSize: v.elementCount(OP, 'input', inputH, inputW, channels),
    outputSize: v.elementCount(OP, 'output', outputH, outputW, channels),
  };
}

export function createAveragePool(p: AveragePoolParams): UnaryKernel {
  const { inputSize, outputSize } = validateAveragePool(p);
  const { inputH, inputW, channels, outputH, outputW, filterH, filterW, strideH, strideW, padTop, padLeft, min, max } = p;
  const z = p.zeroPoint;
  const sums = new Float64Array(channels);

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      for (let oy = 0; oy < outputH; oy++) {
        const iy0 = oy * strideH - padTop;
        const kyLo = tapLo(iy0), kyHi = tapHi(iy0, filterH, inputH);
        for (let ox = 0; ox < outputW; ox++) {
          const ix0 = ox * strideW - padLeft;
          const kxLo = tapLo(ix0), kxHi = tapHi(ix0, filterW, inputW);
          sums.fill(0);
          for (let ky = kyLo; ky < kyHi; ky++) {
            for (let kx = kxLo; kx < kxHi; kx++) {
              const xs = ((iy0 + ky) * inputW + ix0 + kx) * channels;
              for (let c = 0; c < channels; c++) sums[c] += input[xs + c];
            }
          }
          const count = (kyHi - kyLo) * (kxHi - kxLo);
          const half = Math.floor(count / 2);
          const os = (oy * outputW + ox) * channels;
          for (let c = 0; c < channels; c++) {
            const s = sums[c] - count * z;
            // |s| < 2^39 and count < 2^31, so the float64 quotient floors exactly.
            const q = s >= 0 ? Math.floor((s + half) / count) : -Math.floor((half - s) / count);
            const r = z + q;
            output[os + c] = r < min ? min : r > max ? max : r;
          }
        }
      }
    },
  };
}
