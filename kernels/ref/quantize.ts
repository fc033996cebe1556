// QUANTIZE from float32 and DEQUANTIZE to float32.

import type { DequantizeKernel, DequantizeParams, QuantizeKernel, QuantizeParams } from '../kernel-set.js';
import * as v from './validate.js';

/** Returns the element count of the input and of the output. */
export function validateQuantize(p: QuantizeParams): number {
  const op = 'quantize';
  v.paramsObject(op, p);
  const size = v.positiveInt(op, 'size', p.size);
  v.finitePositive(op, 'scale', p.scale);
  v.uint8Value(op, 'zeroPoint', p.zeroPoint);
  v.clampBounds(op, '', p.min, p.max);
  return size;
}

export function createQuantize(p: QuantizeParams): QuantizeKernel {
  const op = 'quantize';
  const size = validateQuantize(p);
  const { scale, zeroPoint: zo, min, max } = p;
  // NaN has no nearest integer; it quantizes as 0 does.
  const nan = zo < min ? min : zo > max ? max : zo;

  return {
    run(input: Float32Array, output: Uint8Array): void {
      v.buffer(op, 'input', input, Float32Array, size);
      v.buffer(op, 'output', output, Uint8Array, size);
      for (let i = 0; i < size; i++) {
        const x = input[i] / scale;
        // Math.round is exact but rounds ties up; mirroring it gives ties away from zero.
        const q = zo + (x < 0 ? -Math.round(-x) : Math.round(x));
        output[i] = q < min ? min : q > max ? max : q !== q ? nan : q;
      }
    },
  };
}

/** Returns the element count of the input and of the output. */
export function validateDequantize(p: DequantizeParams): number {
  const op = 'dequantize';
  v.paramsObject(op, p);
  const size = v.positiveInt(op, 'size', p.size);
  v.finitePositive(op, 'scale', p.scale);
  v.uint8Value(op, 'zeroPoint', p.zeroPoint);
  return size;
}

export function createDequantize(p: DequantizeParams): DequantizeKernel {
  const op = 'dequantize';
  const size = validateDequantize(p);
  const { scale, zeroPoint: z } = p;

  return {
    run(input: Uint8Array, output: Float32Array): void {
      v.buffer(op, 'input', input, Uint8Array, size);
      v.buffer(op, 'output', output, Float32Array, size);
      // The product is formed in float64 and rounded once, by the Float32Array store.
      for (let i = 0; i < size; i++) output[i] = scale * (input[i] - z);
    },
  };
}
