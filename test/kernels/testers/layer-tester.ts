// The settings conv, depthwise and gemm testers share: zero points, biases, output
// quantization, clamping and the seed. Unset zero points are drawn from the case's PRNG.

import type { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';
import { type Clamp, clampU8, type OutputSpec, type ScaleMode } from './output-quantization.js';

/** zero: all-zero bias (a model without one); typical: the size of the accumulators;
 *  large: around +-2^28; extreme: near +-2^31, so the int32 accumulator wraps. */
export type BiasKind = 'zero' | 'typical' | 'large' | 'extreme';

/** full: uniform bytes; small: within 1 of the zero points, so that accumulators are
 *  small, the fitted multiplier exceeds 1, and an accumulator off by one shows. */
export type Values = 'full' | 'small';

export abstract class LayerTester extends SeededTester {
  protected inputZp: number | null = null;
  protected weightZp: number | 'perChannel' | null = null;
  protected outputZp: number | null = null;
  protected scaleMode: ScaleMode = 'tensor';
  protected clampSpec: Clamp = { kind: 'none' };
  protected biasKind: BiasKind = 'typical';
  protected valueKind: Values = 'full';

  inputZeroPoint(z: number): this { this.inputZp = z; return this; }
  /** One zero point for every channel, or 'perChannel' for a random one each. */
  weightZeroPoint(z: number | 'perChannel'): this { this.weightZp = z; return this; }
  outputZeroPoint(z: number): this { this.outputZp = z; return this; }
  scales(mode: ScaleMode): this { this.scaleMode = mode; return this; }
  relu(): this { this.clampSpec = { kind: 'relu' }; return this; }
  relu6(): this { this.clampSpec = { kind: 'relu6' }; return this; }
  clamp(min: number, max: number): this { this.clampSpec = { kind: 'range', min, max }; return this; }
  bias(kind: BiasKind): this { this.biasKind = kind; return this; }
  values(kind: Values): this { this.valueKind = kind; return this; }

  protected abstract shape(): Record<string, unknown>;

  protected settings(): Record<string, unknown> {
    return {
      ...this.shape(), inputZeroPoint: this.inputZp, weightZeroPoint: this.weightZp, outputZeroPoint: this.outputZp,
      scales: this.scaleMode, clamp: this.clampSpec, bias: this.biasKind, values: this.valueKind,
    };
  }

  protected inputZeroPointFrom(rng: Rng): number {
    return this.inputZp ?? rng.int(0, 255);
  }

  protected weightZeroPointsFrom(rng: Rng, channels: number): Int32Array {
    if (this.weightZp === 'perChannel') return rng.int32s(channels, 0, 255);
    return new Int32Array(channels).fill(this.weightZp ?? rng.int(0, 255));
  }

  protected inputFrom(rng: Rng, length: number, zeroPoint: number): Uint8Array {
    if (this.valueKind === 'full') return rng.bytes(length);
    return Uint8Array.from({ length }, () => clampU8(zeroPoint + rng.int(-1, 1)));
  }

  /** `channelOf(i)`: the output channel weight i belongs to, in the operator's layout. */
  protected weightsFrom(rng: Rng, length: number, zeroPoints: Int32Array, channelOf: (i: number) => number): Uint8Array {
    if (this.valueKind === 'full') return rng.bytes(length);
    return Uint8Array.from({ length }, (_, i) => clampU8(zeroPoints[channelOf(i)] + rng.int(-1, 1)));
  }

  /** `taps`: products per accumulator, which sets the size of a typical bias. */
  protected biasFrom(rng: Rng, channels: number, taps: number): Int32Array {
    switch (this.biasKind) {
      case 'zero': return new Int32Array(channels);
      case 'typical': {
        const size = Math.ceil((this.valueKind === 'full' ? 128 * 128 : 1) * Math.sqrt(taps));
        return rng.int32s(channels, -size, size);
      }
      case 'large': return rng.int32s(channels, -(2 ** 28), 2 ** 28);
      case 'extreme': return Int32Array.from({ length: channels }, (_, c) =>
        c % 2 === 0 ? 2 ** 31 - 1 - rng.int(0, 1000) : -(2 ** 31) + rng.int(0, 1000));
    }
  }

  protected outputSpec(): OutputSpec {
    return { scales: this.scaleMode, zeroPoint: this.outputZp, clamp: this.clampSpec };
  }
}
