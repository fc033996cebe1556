import { constantInt32s, describeTensor } from '../quantized-tensor.js';
import type { Lowered, Step } from '../steps.js';
import { elementCount, type LoweringContext } from './context.js';

/** SPLIT(axis, value) into equal parts: one strided copy per output. */
export function lowerSplit(ctx: LoweringContext): Lowered {
  const axisValues = constantInt32s(ctx.model, ctx.op.inputs[0] ?? -1, 'axis');
  const x = ctx.input(1, 'input');
  if (axisValues.length !== 1) ctx.fail(`axis holds ${axisValues.length} values; expected 1`);
  const rank = x.shape.length;
  const axis = axisValues[0] < 0 ? axisValues[0] + rank : axisValues[0];
  if (!(axis >= 0 && axis < rank)) ctx.fail(`axis ${axisValues[0]} is outside the input's ${rank} dims`);
  const parts = ctx.op.outputs.length;
  if (parts < 1 || x.shape[axis] % parts !== 0) ctx.fail(`dim ${x.shape[axis]} of axis ${axis} does not split into ${parts} equal parts`);
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const length = (x.shape[axis] / parts) * inner;
  const stride = x.shape[axis] * inner;
  if (elementCount(x) === 0) ctx.fail('the input has no elements');
  const steps = ctx.op.outputs.map((_, i): Step => {
    const y = ctx.output(i);
    ctx.expectShape(y, x.shape.map((d, k) => (k === axis ? d / parts : d)));
    const [xq, yq] = ctx.quant(x, y);
    if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail(`output ${i} ${describeTensor(y)} is quantized differently from the input`);
    const lowered = ctx.step([x], y, { kind: 'slice', params: { outer, stride, offset: i * length, length } });
    return (lowered as { step: Step }).step;
  });
  return { steps };
}
