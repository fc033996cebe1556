// The arithmetic of kernels/ARITHMETIC.md as plain loops, written from the page and not
// from the kernels: BigInt for the fixed-point requantization and the add, a float32 array
// element for float32 rounding, explicit padding checks, no packing, no folding. Slow on
// purpose; the shared suite compares every implementation with it.

import type {
  AddParams, AveragePoolParams, ConvParams, DepthwiseParams, DequantizeParams, GemmParams,
  MeanParams, PadParams, QuantizeParams, RequantizeParams, Requantization, ScaleRequantization, SoftmaxParams,
} from '../../kernels/kernel-set.js';

const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;

export function wrap32(x: number | bigint): number {
  return Number(BigInt.asIntN(32, BigInt(x)));
}

/** MBQM, single rounding: (x * multiplier + 2^(total-1)) >> total, saturated to int32. */
export function mbqm(x: number, multiplier: number, shift: number): number {
  const total = BigInt(31 - shift);
  const p = BigInt(x) * BigInt(multiplier);
  const y = (p + (1n << (total - 1n))) >> total; // BigInt >> floors, like an arithmetic shift
  return Number(y > I32_MAX ? I32_MAX : y < I32_MIN ? I32_MIN : y);
}

/**
 * QuantizeMultiplier by exact doubling/halving instead of frexp: find the shift that puts
 * real * 2^(31 - shift) in [2^30, 2^31), round half away from zero, renormalise.
 */
export function quantizeMultiplier(real: number): { multiplier: number; shift: number } {
  if (real === 0) return { multiplier: 0, shift: 0 };
  let shift = 0;
  let scaled = real * 2 ** 31; // exact: scaling by a power of two
  while (scaled >= 2 ** 31) { scaled /= 2; shift++; }
  while (scaled < 2 ** 30) { scaled *= 2; shift--; }
  let multiplier = Math.floor(scaled) + (scaled - Math.floor(scaled) >= 0.5 ? 1 : 0);
  if (multiplier === 2 ** 31) { multiplier = 2 ** 30; shift++; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier, shift };
}

export function requantizeValue(acc: number, r: Requantization, channel: number): number {
  const v = r.outputZeroPoint + mbqm(acc, r.multiplier[channel], r.shift[channel]);
  return Math.min(r.max, Math.max(r.min, v));
}

const float32 = new Float32Array(1);

/** The nearest float32, ties to even: what storing into a float32 array does. */
export function f32(x: number): number {
  float32[0] = x;
  return float32[0];
}

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const fraction = x - f; // exact for the |x| < 2^40 here
  if (fraction !== 0.5) return fraction < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** fp32 requantization: zo + roundHalfEven(clamp(f32(f32(acc) * scale[c]), min - zo, max - zo)). */
export function scaleValue(acc: number, r: ScaleRequantization, channel: number): number {
  // Both factors are float32, so their float64 product is exact and f32 rounds it once.
  const v = f32(f32(acc) * r.scale[channel]);
  const lo = r.min - r.outputZeroPoint;
  const hi = r.max - r.outputZeroPoint;
  return r.outputZeroPoint + roundHalfEven(v < lo ? lo : v > hi ? hi : v);
}

/** SAME/VALID geometry as ARITHMETIC.md states it. */
export function outputGeometry(padding: 'SAME' | 'VALID', input: number, kernel: number, stride: number): { out: number; before: number } {
  if (padding === 'VALID') return { out: Math.floor((input - kernel) / stride) + 1, before: 0 };
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + kernel - input, 0);
  return { out, before: Math.floor(total / 2) };
}

/** Accumulators (wrapped to int32) of a convolution, NHWC, [oy][ox][o]. */
export function convAccumulators(p: ConvParams, input: Uint8Array, weights: Uint8Array): Int32Array {
  const acc = new Int32Array(p.outputH * p.outputW * p.outputC);
  for (let oy = 0; oy < p.outputH; oy++) {
    for (let ox = 0; ox < p.outputW; ox++) {
      for (let o = 0; o < p.outputC; o++) {
        let sum = p.bias[o];
        for (let ky = 0; ky < p.kernelH; ky++) {
          for (let kx = 0; kx < p.kernelW; kx++) {
            const iy = oy * p.strideH - p.padTop + ky;
            const ix = ox * p.strideW - p.padLeft + kx;
            if (iy < 0 || iy >= p.inputH || ix < 0 || ix >= p.inputW) continue;
            for (let i = 0; i < p.inputC; i++) {
              const x = input[(iy * p.inputW + ix) * p.inputC + i];
              const w = weights[((o * p.kernelH + ky) * p.kernelW + kx) * p.inputC + i];
              sum += (x - p.inputZeroPoint) * (w - p.weightZeroPoint[o]);
            }
          }
        }
        acc[(oy * p.outputW + ox) * p.outputC + o] = wrap32(sum);
      }
    }
  }
  return acc;
}

export function depthwiseAccumulators(p: DepthwiseParams, input: Uint8Array, weights: Uint8Array): Int32Array {
  const acc = new Int32Array(p.outputH * p.outputW * p.outputC);
  for (let oy = 0; oy < p.outputH; oy++) {
    for (let ox = 0; ox < p.outputW; ox++) {
      for (let c = 0; c < p.inputC; c++) {
        for (let j = 0; j < p.depthMultiplier; j++) {
          const o = c * p.depthMultiplier + j;
          let sum = p.bias[o];
          for (let ky = 0; ky < p.kernelH; ky++) {
            for (let kx = 0; kx < p.kernelW; kx++) {
              const iy = oy * p.strideH - p.padTop + ky;
              const ix = ox * p.strideW - p.padLeft + kx;
              if (iy < 0 || iy >= p.inputH || ix < 0 || ix >= p.inputW) continue;
              const x = input[(iy * p.inputW + ix) * p.inputC + c];
              const w = weights[(ky * p.kernelW + kx) * p.outputC + o];
              sum += (x - p.inputZeroPoint) * (w - p.weightZeroPoint[o]);
            }
          }
          acc[(oy * p.outputW + ox) * p.outputC + o] = wrap32(sum);
        }
      }
    }
  }
  return acc;
}

export function gemmAccumulators(p: GemmParams, input: Uint8Array, weights: Uint8Array): Int32Array {
  const acc = new Int32Array(p.rows * p.outputC);
  for (let r = 0; r < p.rows; r++) {
    for (let o = 0; o < p.outputC; o++) {
      let sum = p.bias[o];
      for (let k = 0; k < p.inputC; k++) {
        sum += (input[r * p.inputC + k] - p.inputZeroPoint) * (weights[o * p.inputC + k] - p.weightZeroPoint[o]);
      }
      acc[r * p.outputC + o] = wrap32(sum);
    }
  }
  return acc;
}

/** Channel-minor accumulators to uint8 outputs with per-channel fp32 requantization. */
export function requantizeAll(acc: Int32Array, r: ScaleRequantization, channels: number): Uint8Array {
  const out = new Uint8Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = scaleValue(acc[i], r, i % channels);
  return out;
}

export function conv(p: ConvParams, input: Uint8Array, weights: Uint8Array): Uint8Array {
  return requantizeAll(convAccumulators(p, input, weights), p.requant, p.outputC);
}

export function depthwise(p: DepthwiseParams, input: Uint8Array, weights: Uint8Array): Uint8Array {
  return requantizeAll(depthwiseAccumulators(p, input, weights), p.requant, p.outputC);
}

export function gemm(p: GemmParams, input: Uint8Array, weights: Uint8Array): Uint8Array {
  return requantizeAll(gemmAccumulators(p, input, weights), p.requant, p.outputC);
}

export function averagePool(p: AveragePoolParams, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.outputH * p.outputW * p.channels);
  for (let oy = 0; oy < p.outputH; oy++) {
    for (let ox = 0; ox < p.outputW; ox++) {
      for (let c = 0; c < p.channels; c++) {
        let s = 0;
        let count = 0;
        for (let ky = 0; ky < p.filterH; ky++) {
          for (let kx = 0; kx < p.filterW; kx++) {
            const iy = oy * p.strideH - p.padTop + ky;
            const ix = ox * p.strideW - p.padLeft + kx;
            if (iy < 0 || iy >= p.inputH || ix < 0 || ix >= p.inputW) continue;
            s += input[(iy * p.inputW + ix) * p.channels + c] - p.zeroPoint;
            count++;
          }
        }
        const half = BigInt(Math.floor(count / 2));
        const n = BigInt(count);
        // BigInt division truncates, which is floor for the non-negative numerators here.
        const q = s >= 0 ? (BigInt(s) + half) / n : -((BigInt(-s) + half) / n);
        out[(oy * p.outputW + ox) * p.channels + c] = Math.min(p.max, Math.max(p.min, p.zeroPoint + Number(q)));
      }
    }
  }
  return out;
}

export function mean(p: MeanParams, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.channels);
  for (let c = 0; c < p.channels; c++) {
    let s = 0;
    for (let y = 0; y < p.inputH; y++) {
      for (let x = 0; x < p.inputW; x++) s += input[(y * p.inputW + x) * p.channels + c] - p.inputZeroPoint;
    }
    out[c] = requantizeValue(s, p.requant, 0);
  }
  return out;
}

/** XNNPACK's add: clamp(zo + ((ma * (a - za) + mb * (b - zb) + 2^(shift-1)) >> shift), min, max). */
export function add(p: AddParams, a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.size);
  const shift = BigInt(p.shift);
  for (let i = 0; i < p.size; i++) {
    const acc = BigInt(p.multiplierA) * BigInt(a[i] - p.inputZeroPointA) + BigInt(p.multiplierB) * BigInt(b[i] - p.inputZeroPointB);
    const rounded = acc + (1n << (shift - 1n));
    if (rounded !== BigInt(wrap32(rounded))) throw new Error(`add: accumulator ${rounded} leaves int32; the parameters are invalid`);
    const q = rounded >> shift; // BigInt >> floors, like an arithmetic shift
    out[i] = Math.min(p.max, Math.max(p.min, p.outputZeroPoint + Number(q)));
  }
  return out;
}

export function softmax(p: SoftmaxParams, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.rows * p.channels);
  for (let r = 0; r < p.rows; r++) {
    const row = Array.from(input.subarray(r * p.channels, (r + 1) * p.channels));
    const top = Math.max(...row);
    let sum = 0;
    for (const x of row) sum += p.expTable[top - x];
    row.forEach((x, i) => {
      const q = p.outputZeroPoint + Math.floor(p.expTable[top - x] / sum * p.inverseOutputScale + 0.5);
      out[r * p.channels + i] = Math.min(p.max, Math.max(p.min, q));
    });
  }
  return out;
}

export function requantize(p: RequantizeParams, input: Uint8Array): Uint8Array {
  return Uint8Array.from(input.subarray(0, p.size), (x) => requantizeValue(x - p.inputZeroPoint, p.requant, 0));
}

export function pad(p: PadParams, input: Uint8Array): Uint8Array {
  const oh = p.padTop + p.inputH + p.padBottom;
  const ow = p.padLeft + p.inputW + p.padRight;
  const oc = p.padChannelsBefore + p.inputC + p.padChannelsAfter;
  const out = new Uint8Array(oh * ow * oc);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < oc; c++) {
        const iy = y - p.padTop, ix = x - p.padLeft, ic = c - p.padChannelsBefore;
        const inside = iy >= 0 && iy < p.inputH && ix >= 0 && ix < p.inputW && ic >= 0 && ic < p.inputC;
        out[(y * ow + x) * oc + c] = inside ? input[(iy * p.inputW + ix) * p.inputC + ic] : p.value;
      }
    }
  }
  return out;
}

function roundHalfAwayFromZero(v: number): number {
  const a = Math.abs(v);
  const f = Math.floor(a);
  return Math.sign(v) * (a - f >= 0.5 ? f + 1 : f);
}

export function quantize(p: QuantizeParams, input: Float32Array): Uint8Array {
  const out = new Uint8Array(p.size);
  for (let i = 0; i < p.size; i++) {
    const r = Number.isNaN(input[i]) ? 0 : roundHalfAwayFromZero(input[i] / p.scale);
    out[i] = Math.min(p.max, Math.max(p.min, p.zeroPoint + r));
  }
  return out;
}

export function dequantize(p: DequantizeParams, input: Uint8Array): Float32Array {
  const out = new Float32Array(p.size);
  for (let i = 0; i < p.size; i++) out[i] = Math.fround(p.scale * (input[i] - p.zeroPoint));
  return out;
}
