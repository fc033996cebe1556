import type { MulOptions } from '../../tflite/model-types.js';
import { activationQuant } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import type { LoweringContext } from './context.js';

const MAX_RANK = 4;

/** Row-major strides of `shape` aligned to the output's rank, 0 along the axes where it broadcasts. */
function broadcastStrides(shape: number[], out: number[]): number[] {
  const padded = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let k = out.length - 1; k >= 0; k--) {
    strides[k] = padded[k] === 1 ? 0 : stride;
    stride *= padded[k];
  }
  return strides;
}

/**
 * MUL with NumPy broadcasting (squeeze-and-excite multiplies H x W x C by 1 x 1 x C), as
 * XNNPACK computes it. Axes of size 1 are dropped and neighbouring axes that both inputs
 * read contiguously are merged, so the kernels see at most 4 and usually 1 or 2 axes.
 */
export function lowerMul(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as MulOptions;
  const a = ctx.input(0, 'input A');
  const b = ctx.input(1, 'input B');
  const y = ctx.output();
  const rank = Math.max(a.shape.length, b.shape.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a.shape[a.shape.length - rank + k] ?? 1;
    const db = b.shape[b.shape.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) ctx.fail(`inputs [${a.shape}] and [${b.shape}] do not broadcast together`);
    out.push(Math.max(da, db));
  }
  ctx.expectShape(y, out);
  const sa = broadcastStrides(a.shape, out);
  const sb = broadcastStrides(b.shape, out);
  const shape: number[] = [];
  const stridesA: number[] = [];
  const stridesB: number[] = [];
  out.forEach((d, k) => {
    if (d === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && stridesA[last] === sa[k] * d && stridesB[last] === sb[k] * d) {
      shape[last] *= d;
      stridesA[last] = sa[k];
      stridesB[last] = sb[k];
    } else {
      shape.push(d);
      stridesA.push(sa[k]);
      stridesB.push(sb[k]);
    }
  });
  if (shape.length === 0) shape.push(1), stridesA.push(0), stridesB.push(0);
  if (shape.length > MAX_RANK) ctx.fail(`broadcasting [${a.shape}] with [${b.shape}] needs ${shape.length} axes; at most ${MAX_RANK} are supported`);
  const aq = activationQuant(ctx.model, a, 'input A');
  const bq = activationQuant(ctx.model, b, 'input B');
  const yq = activationQuant(ctx.model, y, 'output');
  const f = Math.fround;
  const scale = f(f(f(aq.scale) * f(bq.scale)) / f(yq.scale));
  if (!(scale > 0 && scale < 256)) ctx.fail(`scale A * scale B / output scale = ${scale}, outside (0, 256)`);
  const range = ctx.clamp(o.activation, yq);
  const size = shape.reduce((p, d) => p * d, 1);
  return ctx.step([a, b], y, {
    kind: 'mul',
    params: {
      shape, stridesA, stridesB, inputZeroPointA: aq.zeroPoint, inputZeroPointB: bq.zeroPoint, scale,
      outputZeroPoint: yq.zeroPoint, min: range.min, max: range.max,
    },
  }, size);
}
