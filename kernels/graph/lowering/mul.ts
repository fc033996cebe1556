import type { MulParams } from '../../kernel-set.js';
import { createMul } from '../../ref/mul.js';
import type { MulOptions } from '../../tflite/model-types.js';
import { activationQuant } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import { constantScalarLookup } from './constant-operand.js';
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

export interface Broadcast {
  /** The output's shape, NumPy's broadcast of the two. */
  output: number[];
  /** The kernel's view: at most a few axes, with each input's stride along them (0: repeated). */
  shape: number[];
  stridesA: number[];
  stridesB: number[];
}

/**
 * NumPy broadcasting of two shapes, as the MUL kernels walk it: axes of size 1 dropped
 * and neighbouring axes that both inputs read contiguously merged, so that
 * squeeze-and-excite's H x W x C by 1 x 1 x C becomes HW x C by (0, 1) strides. A string
 * says why the shapes do not broadcast.
 */
export function broadcast(a: number[], b: number[]): Broadcast | string {
  const rank = Math.max(a.length, b.length);
  const output: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return `inputs [${a}] and [${b}] do not broadcast together`;
    output.push(Math.max(da, db));
  }
  const sa = broadcastStrides(a, output);
  const sb = broadcastStrides(b, output);
  const shape: number[] = [];
  const stridesA: number[] = [];
  const stridesB: number[] = [];
  output.forEach((d, k) => {
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
  if (shape.length === 0) return { output, shape: [1], stridesA: [0], stridesB: [0] };
  if (shape.length > MAX_RANK) return `broadcasting [${a}] with [${b}] needs ${shape.length} axes; at most ${MAX_RANK} are supported`;
  return { output, shape, stridesA, stridesB };
}

/** MUL as XNNPACK computes it, with NumPy broadcasting (squeeze-and-excite multiplies H x W x C by 1 x 1 x C). */
export function lowerMul(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as MulOptions;
  const a = ctx.input(0, 'input A');
  const b = ctx.input(1, 'input B');
  const y = ctx.output();
  const view = broadcast(a.shape, b.shape);
  if (typeof view === 'string') ctx.fail(view);
  ctx.expectShape(y, view.output);
  const { shape, stridesA, stridesB } = view;
  const aq = activationQuant(ctx.model, a, 'input A');
  const bq = activationQuant(ctx.model, b, 'input B');
  const yq = activationQuant(ctx.model, y, 'output');
  const f = Math.fround;
  const scale = f(f(f(aq.scale) * f(bq.scale)) / f(yq.scale));
  if (!(scale > 0 && scale < 256)) ctx.fail(`scale A * scale B / output scale = ${scale}, outside (0, 256)`);
  const range = ctx.clamp(o.activation, yq);
  const size = shape.reduce((p, d) => p * d, 1);
  const params: MulParams = {
    shape, stridesA, stridesB, inputZeroPointA: aq.zeroPoint, inputZeroPointB: bq.zeroPoint, scale,
    outputZeroPoint: yq.zeroPoint, min: range.min, max: range.max,
  };
  if (a.data || b.data) {
    return constantScalarLookup(ctx, a, b, y, (n) => createMul({ ...params, shape: [n], stridesA: [1], stridesB: [1] }));
  }
  return ctx.step([a, b], y, { kind: 'mul', params }, size);
}

