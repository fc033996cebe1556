import { hardSwishTable, int16Multiplier } from '../../ref/hard-swish.js';
import { reluTable } from '../../ref/relu.js';
import { quantizeMultiplier } from '../../ref/requantize.js';
import type { Lowered } from '../steps.js';
import type { LoweringContext } from './context.js';

const f32 = Math.fround;

/** HARD_SWISH with TFLite's constants: both real multipliers formed in float32, as its Prepare does. */
export function lowerHardSwish(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const size = ctx.sameSize(x, y);
  const [xq, yq] = ctx.quant(x, y);
  const hires = f32(f32(1 / 128) * f32(xq.scale));
  const out = quantizeMultiplier(f32(hires / f32(yq.scale)));
  const reluish = quantizeMultiplier(f32(hires / f32(3 / 32768)));
  if (out.shift > 0 || out.shift < -30) {
    ctx.fail(`input scale / 128 / output scale = ${hires / yq.scale} is outside TFLite's range for HARD_SWISH (below 1)`);
  }
  if (reluish.shift < -30 || reluish.shift > 30) ctx.fail(`input scale ${xq.scale} is outside the range HARD_SWISH can represent`);
  const table = hardSwishTable({
    inputZeroPoint: xq.zeroPoint, outputZeroPoint: yq.zeroPoint,
    outputMultiplier: int16Multiplier(out.multiplier), outputShift: out.shift,
    reluishMultiplier: int16Multiplier(reluish.multiplier), reluishShift: reluish.shift,
  });
  return ctx.step([x], y, { kind: 'lookup', params: { size, table } });
}

/** Standalone RELU and RELU6: TFLite requantizes to the output's scale (double rounding) and clamps; a lookup step. */
function lowerClampingActivation(ctx: LoweringContext, activation: 'RELU' | 'RELU6'): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const size = ctx.sameSize(x, y);
  const [xq, yq] = ctx.quant(x, y);
  const { multiplier, shift } = quantizeMultiplier(xq.scale / yq.scale);
  const range = ctx.clamp(activation, yq);
  const table = reluTable(xq.zeroPoint, multiplier, shift, yq.zeroPoint, range.min, range.max);
  return ctx.step([x], y, { kind: 'lookup', params: { size, table } });
}

export const lowerRelu = (ctx: LoweringContext): Lowered => lowerClampingActivation(ctx, 'RELU');
export const lowerRelu6 = (ctx: LoweringContext): Lowered => lowerClampingActivation(ctx, 'RELU6');
