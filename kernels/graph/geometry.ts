import type { Padding } from '../tflite/model-types.js';

export interface Window {
  output: number;
  padBefore: number;
}

/** Output size and leading padding along one axis, with TensorFlow's SAME/VALID rules. */
export function windowAlongAxis(input: number, kernel: number, stride: number, padding: Padding): Window {
  if (padding === 'VALID') {
    return { output: Math.floor((input - kernel) / stride) + 1, padBefore: 0 };
  }
  const output = Math.ceil(input / stride);
  const total = Math.max((output - 1) * stride + kernel - input, 0);
  return { output, padBefore: Math.floor(total / 2) };
}
