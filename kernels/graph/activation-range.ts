import type { Activation } from '../tflite/model-types.js';

/** The uint8-domain clamp bounds for a quantized output with a fused activation. */
export interface ClampRange {
  min: number;
  max: number;
}

/**
 * TFLite's CalculateActivationRangeQuantized, computed in the tensor's own type and then
 * moved into the uint8 domain (int8 values are carried as x + 128, see ARITHMETIC.md).
 * Returns null for activations that cannot be fused into a clamp.
 */
export function activationRange(
  activation: Activation,
  type: 'uint8' | 'int8',
  scale: number,
  zeroPoint: number,
): ClampRange | null {
  const lo = type === 'uint8' ? 0 : -128;
  const hi = type === 'uint8' ? 255 : 127;
  const quantize = (x: number): number => zeroPoint + roundHalfAwayFromZero(x / scale);
  let min = lo;
  let max = hi;
  switch (activation) {
    case 'NONE':
      break;
    case 'RELU':
      min = Math.max(lo, quantize(0));
      break;
    case 'RELU6':
      min = Math.max(lo, quantize(0));
      max = Math.min(hi, quantize(6));
      break;
    case 'RELU_N1_TO_1':
      min = Math.max(lo, quantize(-1));
      max = Math.min(hi, quantize(1));
      break;
    default:
      return null;
  }
  const shift = type === 'int8' ? 128 : 0;
  return { min: min + shift, max: max + shift };
}

export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
