import type { ScaleRequantization } from '../../kernel-set.js';
import type { Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions } from '../../tflite/model-types.js';
import { windowAlongAxis } from '../geometry.js';
import { activationQuant, constantBias, constantWeights } from '../quantized-tensor.js';
import { scaleRequantization } from '../requantization.js';
import type { Lowered } from '../steps.js';
import { elementCount, type LoweringContext } from './context.js';

/** XNNPACK's bound, and ours: an output scale of 256 or more means a broken quantization. */
function checkedScales(ctx: LoweringContext, r: ScaleRequantization): ScaleRequantization {
  const c = r.scale.findIndex((s) => !(s > 0 && s < 256));
  if (c >= 0) ctx.fail(`channel ${c}: input scale x weight scale / output scale = ${r.scale[c]}, outside (0, 256)`);
  return r;
}

function checkDilation(ctx: LoweringContext, dilationH: number, dilationW: number): void {
  if (dilationH !== 1 || dilationW !== 1) ctx.fail(`dilation ${dilationH}x${dilationW} is not supported (only 1)`);
}

function checkStride(ctx: LoweringContext, strideH: number, strideW: number): void {
  if (!(strideH >= 1 && strideW >= 1)) ctx.fail(`stride ${strideH}x${strideW} is not valid`);
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
  const rows = windowAlongAxis(inH, kH, o.strideH, o.padding);
  const cols = windowAlongAxis(inW, kW, o.strideW, o.padding);
  if (rows.output < 1 || cols.output < 1) ctx.fail(`a ${kH}x${kW} window does not fit a ${inH}x${inW} input`);
  ctx.expectShape(y, [1, rows.output, cols.output, outC]);

  const xq = activationQuant(ctx.model, x, 'input');
  const yq = activationQuant(ctx.model, y, 'output');
  const weights = constantWeights(ctx.model, w, outC, 0);
  const bias = constantBias(ctx.model, ctx.op.inputs[2] ?? -1, outC);
  const requant = checkedScales(ctx, scaleRequantization(xq.scale, weights.scale, yq.scale, yq.zeroPoint, ctx.clamp(o.activation, yq)));
  const pixels = rows.output * cols.output;
  const macs = pixels * outC * kH * kW * inC;
  const base = { operator: ctx.op, inputs: [x.index], output: y.index, macs };
  if (kH === 1 && kW === 1 && o.strideH === 1 && o.strideW === 1) {
    return {
      step: {
        ...base,
        kind: 'gemm',
        params: {
          rows: pixels, inputC: inC, outputC: outC, inputZeroPoint: xq.zeroPoint,
          weightZeroPoint: weights.zeroPoint, bias, requant,
        },
        weights: weights.data,
      },
    };
  }
  return {
    step: {
      ...base,
      kind: 'conv',
      params: {
        inputH: inH, inputW: inW, inputC: inC, outputH: rows.output, outputW: cols.output, outputC: outC,
        kernelH: kH, kernelW: kW, strideH: o.strideH, strideW: o.strideW,
        padTop: rows.padBefore, padLeft: cols.padBefore,
        inputZeroPoint: xq.zeroPoint, weightZeroPoint: weights.zeroPoint, bias, requant,
      },
      weights: weights.data,
    },
  };
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
  const depthMultiplier = outC / inC;
  const rows = windowAlongAxis(inH, kH, o.strideH, o.padding);
  const cols = windowAlongAxis(inW, kW, o.strideW, o.padding);
  if (rows.output < 1 || cols.output < 1) ctx.fail(`a ${kH}x${kW} window does not fit a ${inH}x${inW} input`);
  ctx.expectShape(y, [1, rows.output, cols.output, outC]);

  const xq = activationQuant(ctx.model, x, 'input');
  const yq = activationQuant(ctx.model, y, 'output');
  const weights = constantWeights(ctx.model, w, outC, 3);
  const bias = constantBias(ctx.model, ctx.op.inputs[2] ?? -1, outC);
  const requant = checkedScales(ctx, scaleRequantization(xq.scale, weights.scale, yq.scale, yq.zeroPoint, ctx.clamp(o.activation, yq)));
  return {
    step: {
      operator: ctx.op,
      inputs: [x.index],
      output: y.index,
      macs: rows.output * cols.output * outC * kH * kW,
      kind: 'depthwise',
      params: {
        inputH: inH, inputW: inW, inputC: inC, outputH: rows.output, outputW: cols.output, outputC: outC,
        kernelH: kH, kernelW: kW, strideH: o.strideH, strideW: o.strideW,
        padTop: rows.padBefore, padLeft: cols.padBefore, depthMultiplier,
        inputZeroPoint: xq.zeroPoint, weightZeroPoint: weights.zeroPoint, bias, requant,
      },
      weights: weights.data,
    },
  };
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

  const xq = activationQuant(ctx.model, x, 'input');
  const yq = activationQuant(ctx.model, y, 'output');
  const weights = constantWeights(ctx.model, w, outC, 0);
  const bias = constantBias(ctx.model, ctx.op.inputs[2] ?? -1, outC);
  const requant = checkedScales(ctx, scaleRequantization(xq.scale, weights.scale, yq.scale, yq.zeroPoint, ctx.clamp(o.activation, yq)));
  return {
    step: {
      operator: ctx.op,
      inputs: [x.index],
      output: y.index,
      macs: rows * inC * outC,
      kind: 'gemm',
      params: { rows, inputC: inC, outputC: outC, inputZeroPoint: xq.zeroPoint, weightZeroPoint: weights.zeroPoint, bias, requant },
      weights: weights.data,
    },
  };
}
