import type { ResizeOptions } from '../../tflite/model-types.js';
import { constantInt32s } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import type { LoweringContext } from './context.js';

/** RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR of an NHWC tensor to a constant size; the bytes keep their quantization. */
function lowerResize(ctx: LoweringContext, kind: 'resizeNearest' | 'resizeBilinear'): Lowered {
  const o = ctx.op.options as ResizeOptions;
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const [inH, inW, channels] = ctx.nhwc(x, 'input');
  const size = constantInt32s(ctx.model, ctx.op.inputs[1] ?? -1, 'size');
  if (size.length !== 2 || !(size[0] >= 1 && size[1] >= 1)) ctx.fail(`size [${[...size]}] must be two positive values`);
  if (o.alignCorners && o.halfPixelCenters) ctx.fail('align_corners and half_pixel_centers cannot both be set');
  ctx.expectShape(y, [1, size[0], size[1], channels]);
  const [xq, yq] = ctx.quant(x, y);
  if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail('input and output quantization differ');
  return ctx.step([x], y, {
    kind,
    params: {
      inputH: inH, inputW: inW, channels, outputH: size[0], outputW: size[1],
      alignCorners: o.alignCorners, halfPixelCenters: o.halfPixelCenters,
    },
  });
}

export const lowerResizeNearest = (ctx: LoweringContext): Lowered => lowerResize(ctx, 'resizeNearest');
export const lowerResizeBilinear = (ctx: LoweringContext): Lowered => lowerResize(ctx, 'resizeBilinear');
