import type { Activation, Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions, Tensor } from '../../tflite/model-types.js';
import { MAX_SCALE } from '../../ref/validate.js';
import type { Window } from '../geometry.js';
import { constantBias, constantWeights } from '../quantized-tensor.js';
import { scaleRequantization } from '../requantization.js';
import type { Lowered } from '../steps.js';
import { elementCount, type LoweringContext } from './context.js';

function checkDilation(ctx: LoweringContext, dilationH: number, dilationW: number): void {
  if (dilationH !== 1 || dilationW !== 1) ctx.fail(`dilation ${dilationH}x${dilationW} is not supported (only 1)`);
}

function checkStride(ctx: LoweringContext, strideH: number, strideW: number): void {
  if (!(strideH >= 1 && strideW >= 1)) ctx.fail(`stride ${strideH}x${strideW} is not valid`);
}

/**
 * What every weighted layer needs from the model: the input's quantization, weights and
 * bias in the uint8 domain, and the per-channel output scales with the fused activation.
 */
function weightedLayer(ctx: LoweringContext, x: Tensor, w: Tensor, y: Tensor, outC: number, channelAxis: number, activation: Activation) {
  const [xq, yq] = ctx.quant(x, y);
  const weights = constantWeights(ctx.model, w, outC, channelAxis);
  const requant = scaleRequantization(xq.scale, weights.scale, yq.scale, yq.zeroPoint, ctx.clamp(activation, yq));
  // The kernels' bound (XNNPACK's too), refused here as a model error that names the channel.
  const c = requant.scale.findIndex((s) => !(s > 0 && s < MAX_SCALE));
  if (c >= 0) ctx.fail(`channel ${c}: input scale x weight scale / output scale = ${requant.scale[c]}, outside (0, ${MAX_SCALE})`);
  return {
    inputZeroPoint: xq.zeroPoint,
    weightZeroPoint: weights.zeroPoint,
    bias: constantBias(ctx.model, ctx.op.inputs[2] ?? -1, outC),
    requant,
    weights: weights.data,
  };
}

/** The window geometry of ConvParams. */
function geometry(
  [inputH, inputW, inputC]: number[],
  [rows, cols]: Window[],
  outputC: number,
  [kernelH, kernelW]: number[],
  { strideH, strideW }: { strideH: number; strideW: number },
) {
  return {
    inputH, inputW, inputC, outputH: rows.output, outputW: cols.output, outputC,
    kernelH, kernelW, strideH, strideW, padTop: rows.padBefore, padLeft: cols.padBefore,
  };
}

/** CONV_2D: a 1x1 stride-1 convolution becomes a GEMM over pixels; anything else a general convolution. */
export function lowerConv2D(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as Conv2DOptions;
  checkDilation(ctx, o.dilationH, o.dilationW);
  checkStride(ctx, o.strideH, o.strideW);
  const x = ctx.input(0, 'input');
  const w = ctx.input(1, 'weights');
  const y = ctx.output();
  const [inH, inW, inC] = ctx.nhwc(x, 'input');
  if (w.shape.length !== 4) ctx.fail(`weights have shape [${w.shape}]; expected [out, kh, kw, in]`);
  const [outC, kH, kW, wInC] = w.shape;
  if (wInC !== inC) ctx.fail(`weights expect ${wInC} input channels, the input has ${inC}`);
  const [rows, cols] = ctx.window(inH, inW, kH, kW, o.strideH, o.strideW, o.padding);
  ctx.expectShape(y, [1, rows.output, cols.output, outC]);
  const { weights, ...layer } = weightedLayer(ctx, x, w, y, outC, 0, o.activation);
  const pixels = rows.output * cols.output;
  const macs = pixels * outC * kH * kW * inC;
  if (kH === 1 && kW === 1 && o.strideH === 1 && o.strideW === 1) {
    return ctx.step([x], y, { kind: 'gemm', params: { rows: pixels, inputC: inC, outputC: outC, ...layer }, weights }, macs);
  }
  const params = { ...geometry([inH, inW, inC], [rows, cols], outC, [kH, kW], o), ...layer };
  return ctx.step([x], y, { kind: 'conv', params, weights }, macs);
}

export function lowerDepthwise(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as DepthwiseConv2DOptions;
  checkDilation(ctx, o.dilationH, o.dilationW);
  checkStride(ctx, o.strideH, o.strideW);
  const x = ctx.input(0, 'input');
  const w = ctx.input(1, 'weights');
  const y = ctx.output();
  const [inH, inW, inC] = ctx.nhwc(x, 'input');
  if (w.shape.length !== 4 || w.shape[0] !== 1) ctx.fail(`weights have shape [${w.shape}]; expected [1, kh, kw, out]`);
  const [, kH, kW, outC] = w.shape;
  // Newer converters leave depth_multiplier at 0 or stale; the weight shape is authoritative.
  if (outC % inC !== 0) ctx.fail(`${outC} output channels is not a multiple of ${inC} input channels`);
  const [rows, cols] = ctx.window(inH, inW, kH, kW, o.strideH, o.strideW, o.padding);
  ctx.expectShape(y, [1, rows.output, cols.output, outC]);
  const { weights, ...layer } = weightedLayer(ctx, x, w, y, outC, 3, o.activation);
  const params = { ...geometry([inH, inW, inC], [rows, cols], outC, [kH, kW], o), depthMultiplier: outC / inC, ...layer };
  return ctx.step([x], y, { kind: 'depthwise', params, weights }, rows.output * cols.output * outC * kH * kW);
}

export function lowerFullyConnected(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as FullyConnectedOptions;
  if (o.weightsFormat !== 'DEFAULT') ctx.fail(`weights format ${o.weightsFormat} is not supported`);
  const x = ctx.input(0, 'input');
  const w = ctx.input(1, 'weights');
  const y = ctx.output();
  if (w.shape.length !== 2) ctx.fail(`weights have shape [${w.shape}]; expected [out, in]`);
  const [outC, inC] = w.shape;
  const total = elementCount(x);
  if (inC < 1 || total % inC !== 0) ctx.fail(`input of ${total} values does not split into rows of ${inC}`);
  const rows = total / inC;
  if (elementCount(y) !== rows * outC) ctx.fail(`output has ${elementCount(y)} values; expected ${rows * outC}`);
  const { weights, ...layer } = weightedLayer(ctx, x, w, y, outC, 0, o.activation);
  return ctx.step([x], y, { kind: 'gemm', params: { rows, inputC: inC, outputC: outC, ...layer }, weights }, rows * inC * outC);
}
