import type { AddOptions, SoftmaxOptions } from '../../tflite/model-types.js';
import { quantizeMultiplier } from '../../ref/requantize.js';
import { activationQuant, describeTensor } from '../quantized-tensor.js';
import { requantization } from '../requantization.js';
import type { Lowered } from '../steps.js';
import { elementCount, type LoweringContext } from './context.js';

/** TFLite's quantized ADD: both inputs rescaled to a common 2^20-scaled range first. */
export function lowerAdd(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as AddOptions;
  const a = ctx.input(0, 'input A');
  const b = ctx.input(1, 'input B');
  const y = ctx.output();
  const same = (s: number[], t: number[]): boolean => s.length === t.length && s.every((d, i) => d === t[i]);
  if (!same(a.shape, b.shape) || !same(a.shape, y.shape)) {
    ctx.fail(`inputs [${a.shape}] and [${b.shape}] to output [${y.shape}]: broadcasting is not supported`);
  }
  const aq = activationQuant(ctx.model, a, 'input A');
  const bq = activationQuant(ctx.model, b, 'input B');
  const yq = activationQuant(ctx.model, y, 'output');
  const twiceMax = 2 * Math.max(aq.scale, bq.scale);
  const qa = quantizeMultiplier(aq.scale / twiceMax);
  const qb = quantizeMultiplier(bq.scale / twiceMax);
  const size = elementCount(y);
  return {
    step: {
      operator: ctx.op,
      inputs: [a.index, b.index],
      output: y.index,
      macs: 0,
      kind: 'add',
      params: {
        size,
        inputZeroPointA: aq.zeroPoint,
        inputZeroPointB: bq.zeroPoint,
        multiplierA: qa.multiplier,
        shiftA: qa.shift,
        multiplierB: qb.multiplier,
        shiftB: qb.shift,
        requant: requantization([twiceMax / (2 ** 20 * yq.scale)], yq.zeroPoint, ctx.clamp(o.activation, yq)),
      },
    },
  };
}

export function lowerSoftmax(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as SoftmaxOptions;
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  if (elementCount(x) !== elementCount(y)) ctx.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
  const channels = x.shape[x.shape.length - 1] ?? 1;
  const xq = activationQuant(ctx.model, x, 'input');
  const yq = activationQuant(ctx.model, y, 'output');
  const expTable = new Float64Array(256);
  for (let d = 0; d < 256; d++) expTable[d] = Math.exp(-o.beta * xq.scale * d);
  return {
    step: {
      operator: ctx.op,
      inputs: [x.index],
      output: y.index,
      macs: 0,
      kind: 'softmax',
      params: {
        rows: elementCount(x) / channels,
        channels,
        expTable,
        inverseOutputScale: 1 / yq.scale,
        outputZeroPoint: yq.zeroPoint,
        min: 0,
        max: 255,
      },
    },
  };
}

/** QUANTIZE from float32, or between two quantizations (e.g. the int8 -> uint8 output of TF2 models). */
export function lowerQuantize(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const size = elementCount(y);
  if (elementCount(x) !== size) ctx.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
  const yq = activationQuant(ctx.model, y, 'output');
  const base = { operator: ctx.op, inputs: [x.index], output: y.index, macs: 0 };
  if (x.type === 'float32') {
    return { step: { ...base, kind: 'quantize', params: { size, scale: yq.scale, zeroPoint: yq.zeroPoint, min: 0, max: 255 } } };
  }
  const xq = activationQuant(ctx.model, x, 'input');
  return {
    step: {
      ...base,
      kind: 'requantize',
      params: {
        size,
        inputZeroPoint: xq.zeroPoint,
        requant: requantization([xq.scale / yq.scale], yq.zeroPoint, { min: 0, max: 255 }),
      },
    },
  };
}

export function lowerDequantize(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  if (y.type !== 'float32') ctx.fail(`output ${describeTensor(y)} has type ${y.type}; expected float32`);
  if (x.data) ctx.fail(`dequantizing constant ${describeTensor(x)} is not supported`);
  const size = elementCount(y);
  if (elementCount(x) !== size) ctx.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
  const xq = activationQuant(ctx.model, x, 'input');
  return {
    step: {
      operator: ctx.op,
      inputs: [x.index],
      output: y.index,
      macs: 0,
      kind: 'dequantize',
      params: { size, scale: xq.scale, zeroPoint: xq.zeroPoint },
    },
  };
}
