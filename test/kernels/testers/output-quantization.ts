// Chooses an output quantization for generated accumulators the way a real model's
// would look: outputs spread over the uint8 range rather than all saturated. The scales
// are float32, computed from float32 input, weight and output scales as the load step
// does (ARITHMETIC.md), so they carry full 24-bit significands.

import type { ScaleRequantization } from '../../../kernels/kernel-set.js';
import { f32 } from '../plain-loop.js';
import type { Rng } from '../../support/rng.js';

/**
 * tensor: one scale for all channels; channel: one per channel, fitted to that channel;
 * decades: per-channel weight scales log-uniform over 1e-4..1e-1, so the scales of one
 * layer span three decades (most channels land near the zero point).
 */
export type ScaleMode = 'tensor' | 'channel' | 'decades';

export type Clamp =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'relu6' }
  | { kind: 'range'; min: number; max: number };

export interface OutputSpec {
  scales: ScaleMode;
  zeroPoint: number | null;
  clamp: Clamp;
}

export function chooseRequantization(rng: Rng, acc: Int32Array, channels: number, spec: OutputSpec): ScaleRequantization {
  const lo = new Float64Array(channels).fill(Infinity);
  const hi = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < acc.length; i++) {
    const c = i % channels;
    lo[c] = Math.min(lo[c], acc[i]);
    hi[c] = Math.max(hi[c], acc[i]);
  }
  const allLo = Math.min(...lo), allHi = Math.max(...hi);
  const real = new Float64Array(channels);
  let zeroPoint: number;
  if (spec.scales === 'tensor') {
    // Slightly more or less than the exact fit, so both ends saturate in some cases.
    real.fill((255 / Math.max(allHi - allLo, 1)) * rng.logUniform(0.8, 1.25));
    zeroPoint = spec.zeroPoint ?? clampU8(Math.round(-allLo * real[0]));
  } else if (spec.scales === 'channel') {
    for (let c = 0; c < channels; c++) real[c] = 127 / Math.max(Math.abs(lo[c]), Math.abs(hi[c]), 1);
    zeroPoint = spec.zeroPoint ?? rng.int(96, 160);
  } else {
    const base = 127 / Math.max(Math.abs(allLo), Math.abs(allHi), 1);
    const weightScales = Array.from({ length: channels }, () => rng.logUniform(1e-4, 1e-1));
    const largest = Math.max(...weightScales);
    for (let c = 0; c < channels; c++) real[c] = base * (weightScales[c] / largest);
    zeroPoint = spec.zeroPoint ?? rng.int(96, 160);
  }
  const scale = new Float32Array(channels);
  const inputScale = f32(rng.logUniform(1e-3, 0.1));
  const outputScale = f32(rng.logUniform(1e-3, 0.1));
  for (let c = 0; c < channels; c++) {
    // The weight scale that makes inputScale * weightScale / outputScale the wanted real,
    // kept below XNNPACK's bound of 256 (tiny accumulator ranges ask for more).
    const weightScale = f32((Math.min(real[c], 255) * outputScale) / inputScale);
    scale[c] = f32(f32(inputScale * weightScale) / outputScale);
  }
  return { scale, outputZeroPoint: zeroPoint, ...clampBounds(rng, spec.clamp, zeroPoint) };
}

export function clampBounds(rng: Rng, clamp: Clamp, zeroPoint: number): { min: number; max: number } {
  switch (clamp.kind) {
    case 'none': return { min: 0, max: 255 };
    case 'relu': return { min: zeroPoint, max: 255 };
    // zo + round(6 / outputScale) for an output scale the accumulators do not know.
    case 'relu6': return { min: zeroPoint, max: Math.min(255, zeroPoint + rng.int(10, 160)) };
    case 'range': return { min: clamp.min, max: clamp.max };
  }
}

export function clampU8(v: number): number {
  return Math.min(255, Math.max(0, v));
}
