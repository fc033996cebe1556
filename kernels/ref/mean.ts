// Mean over height and width: per channel, the centred sum requantized by
// inputScale / (outputScale * H * W).

import type { MeanParams, UnaryKernel } from '../kernel-set.js';
import { FixedPointStage } from './fixed-point-stage.js';
import * as v from './validate.js';

const OP = 'mean';
/** Largest H * W whose centred sum (|x - zx| <= 255 per element) cannot leave int32. */
const MAX_PIXELS = Math.floor(2147483647 / 255);

export function validateMean(p: MeanParams): v.Sizes {
  v.paramsObject(OP, p);
  const inputH = v.positiveInt(OP, 'inputH', p.inputH);
  const inputW = v.positiveInt(OP, 'inputW', p.inputW);
  const channels = v.positiveInt(OP, 'channels', p.channels);
  v.uint8Value(OP, 'inputZeroPoint', p.inputZeroPoint);
  v.requantization(OP, p.requant, 1);
  const pixels = inputH * inputW;
  if (pixels > MAX_PIXELS) throw new RangeError(`${OP}: inputH * inputW must be at most ${MAX_PIXELS}, got ${pixels}`);
  return { inputSize: v.elementCount(OP, 'input', inputH, inputW, channels), outputSize: channels };
}

export function createMean(p: MeanParams): UnaryKernel {
  const { inputSize } = validateMean(p);
  const { channels } = p;
  const pixels = p.inputH * p.inputW;
  const zx = p.inputZeroPoint;
  const stage = new FixedPointStage(p.requant);
  const sums = new Float64Array(channels);

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, channels);
      sums.fill(0);
      for (let i = 0; i < inputSize; i += channels) {
        for (let c = 0; c < channels; c++) sums[c] += input[i + c];
      }
      const offset = pixels * zx;
      for (let c = 0; c < channels; c++) output[c] = stage.apply(sums[c] - offset);
    },
  };
}
