import { constantInt32s } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import type { LoweringContext } from './context.js';

/** RESHAPE and SQUEEZE move no bytes: the output becomes another name for the input's memory. */
export function lowerReshape(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  ctx.sameSize(x, y);
  if (x.type !== y.type) ctx.fail(`input type ${x.type} and output type ${y.type} differ`);
  if (x.type !== 'float32') {
    const [xq, yq] = ctx.quant(x, y);
    if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail('input and output quantization differ');
  }
  return { alias: { operator: ctx.op, input: x.index, output: y.index } };
}

/** PAD of an NHWC tensor with its zero point (TFLite pads quantized tensors with the zero point). */
export function lowerPad(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const [inH, inW, inC] = ctx.nhwc(x, 'input');
  const p = constantInt32s(ctx.model, ctx.op.inputs[1] ?? -1, 'paddings');
  if (p.length !== 8) ctx.fail(`paddings hold ${p.length} values; expected 4x2`);
  if (p.some((v) => v < 0)) ctx.fail(`negative paddings [${[...p]}] are not supported`);
  if (p[0] !== 0 || p[1] !== 0) ctx.fail('padding the batch axis is not supported');
  ctx.expectShape(y, [1, inH + p[2] + p[3], inW + p[4] + p[5], inC + p[6] + p[7]]);
  const [xq, yq] = ctx.quant(x, y);
  if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail('input and output quantization differ');
  return ctx.step([x], y, {
    kind: 'pad',
    params: {
      inputH: inH, inputW: inW, inputC: inC,
      padTop: p[2], padBottom: p[3], padLeft: p[4], padRight: p[5],
      padChannelsBefore: p[6], padChannelsAfter: p[7],
      value: xq.zeroPoint,
    },
  });
}
