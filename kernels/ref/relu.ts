// Standalone RELU and RELU6 as TensorFlow Lite's builtin kernel computes them: the centred
// input requantized to the output's scale with its MultiplyByQuantizedMultiplier in the
// double-rounding form (a rounding doubling high multiply, then a rounding right shift;
// ARITHMETIC.md), then clamped. Tabulated over the 256 input bytes.

const INT32_MIN = -2147483648;

/** gemmlowp's SaturatingRoundingDoublingHighMul on int32: round(a * b / 2^31), ties away from zero. */
function roundingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C's
}

function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = 2 ** exponent - 1;
  const remainder = x - Math.floor(x / 2 ** exponent) * 2 ** exponent;
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return Math.floor(x / 2 ** exponent) + (remainder > threshold ? 1 : 0);
}

/** clamp(zo + MBQM(x - zi, multiplier, shift), min, max) for every input byte x (uint8 domain). */
export function reluTable(inputZeroPoint: number, multiplier: number, shift: number, outputZeroPoint: number, min: number, max: number): Uint8Array {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return Uint8Array.from({ length: 256 }, (_, x) => {
    // The left shift is an int32 multiply in TFLite, so it wraps as there.
    const shifted = Number(BigInt.asIntN(32, BigInt(x - inputZeroPoint) << BigInt(left)));
    const y = outputZeroPoint + roundingDivideByPOT(roundingHighMul(shifted, multiplier), right);
    return y < min ? min : y > max ? max : y;
  });
}
