// PAD over height, width and channels with the tensor's zero point.

import type { PadParams, UnaryKernel } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'pad';

export function validatePad(p: PadParams): v.Sizes {
  v.paramsObject(OP, p);
  const inputH = v.positiveInt(OP, 'inputH', p.inputH);
  const inputW = v.positiveInt(OP, 'inputW', p.inputW);
  const inputC = v.positiveInt(OP, 'inputC', p.inputC);
  const padTop = v.nonNegativeInt(OP, 'padTop', p.padTop);
  const padBottom = v.nonNegativeInt(OP, 'padBottom', p.padBottom);
  const padLeft = v.nonNegativeInt(OP, 'padLeft', p.padLeft);
  const padRight = v.nonNegativeInt(OP, 'padRight', p.padRight);
  const before = v.nonNegativeInt(OP, 'padChannelsBefore', p.padChannelsBefore);
  const after = v.nonNegativeInt(OP, 'padChannelsAfter', p.padChannelsAfter);
  v.uint8Value(OP, 'value', p.value);
  return {
    inputSize: v.elementCount(OP, 'input', inputH, inputW, inputC),
    outputSize: v.elementCount(OP, 'output', padTop + inputH + padBottom, padLeft + inputW + padRight, before + inputC + after),
  };
}

export function createPad(p: PadParams): UnaryKernel {
  const { inputSize, outputSize } = validatePad(p);
  const {
    inputH, inputW, inputC, padTop, padBottom, padLeft, padRight, padChannelsBefore: before, padChannelsAfter: after, value,
  } = p;
  const outputW = padLeft + inputW + padRight;
  const outputC = before + inputC + after;
  const outputRow = outputW * outputC;

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      output.fill(value, 0, padTop * outputRow);
      let o = padTop * outputRow;
      let i = 0;
      for (let y = 0; y < inputH; y++) {
        output.fill(value, o, o + padLeft * outputC);
        o += padLeft * outputC;
        for (let x = 0; x < inputW; x++) {
          output.fill(value, o, o + before);
          o += before;
          for (let c = 0; c < inputC; c++) output[o + c] = input[i + c];
          o += inputC;
          i += inputC;
          output.fill(value, o, o + after);
          o += after;
        }
        output.fill(value, o, o + padRight * outputC);
        o += padRight * outputC;
      }
      output.fill(value, o, outputSize);
    },
  };
}
