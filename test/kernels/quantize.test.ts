import { describe, it } from 'vitest';
import { implementations } from './implementations.js';
import { DequantizeTester, QuantizeTester } from './testers/quantize-tester.js';

const ties = (scale: number, from: number, to: number): Float32Array =>
  Float32Array.from({ length: to - from + 1 }, (_, i) => (from + i + 0.5) * scale);

describe.each(implementations)('quantize on $name', (kernels) => {
  it('random values over and beyond the range, scales and zero points', () => {
    for (const s of [0.0078125, 0.02, 0.1, 1.7]) for (const z of [0, 3, 128, 255]) new QuantizeTester().scale(s).zeroPoint(z).test(kernels);
  });

  it('exact .5 ties round away from zero, on both signs', () => {
    // Power-of-two scales make (k + 0.5) * scale and its quotient exact.
    new QuantizeTester().scale(0.25).zeroPoint(128).values(ties(0.25, -130, 130)).test(kernels);
    new QuantizeTester().scale(2 ** -7).zeroPoint(0).values(ties(2 ** -7, -5, 260)).test(kernels);
    new QuantizeTester().scale(0.1).zeroPoint(128).values(ties(0.1, -130, 130)).test(kernels);
  });

  it('zero, negative zero, infinities, NaN, huge and tiny values, clamping', () => {
    const specials = Float32Array.of(0, -0, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e-45, -1e-45, 0.5, -0.5, 1.5, -1.5);
    for (const z of [0, 100, 255]) new QuantizeTester().scale(1).zeroPoint(z).values(specials).test(kernels);
    new QuantizeTester().scale(1).zeroPoint(100).clamp(90, 110).values(specials).test(kernels);
    new QuantizeTester().scale(0.03).zeroPoint(20).clamp(30, 40).test(kernels);
  });
});

describe.each(implementations)('dequantize on $name', (kernels) => {
  it('every uint8 value, scales and zero points', () => {
    for (const s of [1e-5, 0.0235, 0.1, 1, 3.3]) for (const z of [0, 7, 128, 255]) new DequantizeTester().scale(s).zeroPoint(z).test(kernels);
  });
});
