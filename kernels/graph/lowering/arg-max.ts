import { activationQuant, constantInt32s, describeTensor } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import type { LoweringContext } from './context.js';

/** ARG_MAX along one constant axis, to int32 or int64 indices. */
export function lowerArgMax(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  activationQuant(ctx.model, x, 'input');
  const axisValues = constantInt32s(ctx.model, ctx.op.inputs[1] ?? -1, 'axis');
  if (axisValues.length !== 1) ctx.fail(`axis holds ${axisValues.length} values; expected 1`);
  const rank = x.shape.length;
  const axis = axisValues[0] < 0 ? axisValues[0] + rank : axisValues[0];
  if (!(axis >= 0 && axis < rank)) ctx.fail(`axis ${axisValues[0]} is outside the input's ${rank} dims`);
  if (y.type !== 'int32' && y.type !== 'int64') ctx.fail(`output ${describeTensor(y)} has type ${y.type}; ARG_MAX writes int32 or int64 indices`);
  ctx.expectShape(y, x.shape.filter((_, k) => k !== axis));
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return ctx.step([x], y, { kind: 'argMax', params: { outer, axisSize: x.shape[axis], inner, indexType: y.type } });
}
