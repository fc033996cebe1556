import type { Pool2DOptions, ReducerOptions } from '../../tflite/model-types.js';
import { constantInt32s } from '../quantized-tensor.js';
import { requantization } from '../requantization.js';
import type { Lowered } from '../steps.js';
import type { LoweringContext } from './context.js';

export function lowerAveragePool(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as Pool2DOptions;
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const [inH, inW, channels] = ctx.nhwc(x, 'input');
  if (!(o.strideH >= 1 && o.strideW >= 1 && o.filterHeight >= 1 && o.filterWidth >= 1)) {
    ctx.fail(`filter ${o.filterHeight}x${o.filterWidth} with stride ${o.strideH}x${o.strideW} is not valid`);
  }
  const [rows, cols] = ctx.window(inH, inW, o.filterHeight, o.filterWidth, o.strideH, o.strideW, o.padding);
  ctx.expectShape(y, [1, rows.output, cols.output, channels]);
  const [xq, yq] = ctx.quant(x, y);
  if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) {
    ctx.fail('input and output quantization differ; TFLite average pooling requires them equal');
  }
  const range = ctx.clamp(o.activation, yq);
  return ctx.step([x], y, {
    kind: 'averagePool',
    params: {
      inputH: inH, inputW: inW, channels, outputH: rows.output, outputW: cols.output,
      filterH: o.filterHeight, filterW: o.filterWidth, strideH: o.strideH, strideW: o.strideW,
      padTop: rows.padBefore, padLeft: cols.padBefore, zeroPoint: xq.zeroPoint, min: range.min, max: range.max,
    },
  });
}

/** MEAN over the spatial axes (1 and 2) of an NHWC tensor: the global pooling of TF2 MobileNets. */
export function lowerMean(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as ReducerOptions;
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const [inH, inW, channels] = ctx.nhwc(x, 'input');
  const axes = [...constantInt32s(ctx.model, ctx.op.inputs[1] ?? -1, 'axis')].map((a) => (a < 0 ? a + 4 : a)).sort();
  if (axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) {
    ctx.fail(`mean over axes [${axes}] is not supported (only the spatial axes [1, 2])`);
  }
  ctx.expectShape(y, o.keepDims ? [1, 1, 1, channels] : [1, channels]);
  const [xq, yq] = ctx.quant(x, y);
  return ctx.step([x], y, {
    kind: 'mean',
    params: {
      inputH: inH, inputW: inW, channels, inputZeroPoint: xq.zeroPoint,
      requant: requantization([xq.scale / (yq.scale * inH * inW)], yq.zeroPoint, { min: 0, max: 255 }),
    },
  });
}
