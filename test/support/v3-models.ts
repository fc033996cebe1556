// Single-operator and small multi-operator models of the MobileNet V3 family, with random
// weights and quantization parameters drawn from a seeded Rng, for comparison with
// TensorFlow Lite. Each model has one input and one output (what the planner runs);
// operators that need a second activation operand get it from the input through an
// operator that is already bit-exact (MEAN, AVERAGE_POOL_2D).

import { GraphBuilder, Op, Options, type ActivationType, type Quant } from './graph-builder.js';
import type { Rng } from './rng.js';

export interface TestModel {
  name: string;
  bytes: Uint8Array;
  type: ActivationType;
  inputShape: number[];
}

const padding = { SAME: 0, VALID: 1 } as const;

/** A scale and a zero point; `extreme` puts the zero point at an end of the type's range. */
export function randomQuant(rng: Rng, type: ActivationType, lo: number, hi: number, extreme = false): Quant {
  const offset = type === 'int8' ? -128 : 0;
  const z = extreme ? (rng.int(0, 1) ? 255 : 0) : rng.int(0, 255);
  return { scale: rng.logUniform(lo, hi), zeroPoint: z + offset };
}

function unary(name: string, type: ActivationType, shape: number[], xq: Quant, yq: Quant, code: number, options?: { type: number; fields: [number, 'int8' | 'bool', number][] }): TestModel {
  const g = new GraphBuilder();
  const x = g.activation(shape, type, xq);
  const y = g.activation(shape, type, yq);
  g.op(code, [x], [y], options);
  return { name, bytes: g.encode([x], [y]), type, inputShape: shape };
}

export function hardSwishModel(rng: Rng, type: ActivationType, shape: number[], extreme = false): TestModel {
  const xq = randomQuant(rng, type, 0.005, 0.2, extreme);
  // The output covers [-0.375, max(x)]: a scale near the input's, and at least 1/64 of it as TFLite requires.
  const yq = randomQuant(rng, type, xq.scale / 4, xq.scale * 2, extreme);
  return unary(`HARD_SWISH ${type} [${shape}]`, type, shape, xq, yq, Op.HARD_SWISH);
}

export function reluModel(rng: Rng, type: ActivationType, shape: number[], six: boolean, extreme = false): TestModel {
  const xq = randomQuant(rng, type, 0.005, 0.2, extreme);
  const yq = randomQuant(rng, type, 0.005, 0.2, extreme);
  return unary(`${six ? 'RELU6' : 'RELU'} ${type} [${shape}]`, type, shape, xq, yq, six ? Op.RELU6 : Op.RELU);
}

export function resizeModel(rng: Rng, type: ActivationType, bilinear: boolean, input: [number, number, number], output: [number, number], mode: 'legacy' | 'align' | 'half'): TestModel {
  const g = new GraphBuilder();
  const q = randomQuant(rng, type, 0.01, 0.1);
  const shape = [1, ...input];
  const x = g.activation(shape, type, q);
  const size = g.int32s(output);
  const y = g.activation([1, output[0], output[1], input[2]], type, q);
  const align = mode === 'align' ? 1 : 0;
  const half = mode === 'half' ? 1 : 0;
  const options = bilinear
    ? { type: Options.ResizeBilinear, fields: [[2, 'bool', align], [3, 'bool', half]] as [number, 'bool', number][] }
    : { type: Options.ResizeNearestNeighbor, fields: [[0, 'bool', align], [1, 'bool', half]] as [number, 'bool', number][] };
  g.op(bilinear ? Op.RESIZE_BILINEAR : Op.RESIZE_NEAREST_NEIGHBOR, [x, size], [y], options);
  const name = `${bilinear ? 'RESIZE_BILINEAR' : 'RESIZE_NEAREST_NEIGHBOR'} ${type} ${input.join('x')} -> ${output.join('x')} ${mode}`;
  return { name, bytes: g.encode([x], [y]), type, inputShape: shape };
}

export type MulForm = 'squeeze-excite' | 'row' | 'square';

/**
 * MUL of the input with: its spatial mean (H x W x C by 1 x 1 x C, squeeze-and-excite's
 * broadcast), its row means (H x W x C by H x 1 x C), or itself.
 */
export function mulModel(rng: Rng, type: ActivationType, shape: [number, number, number], form: MulForm, activation = 0, extreme = false): TestModel {
  const g = new GraphBuilder();
  const xq = randomQuant(rng, type, 0.005, 0.2, extreme);
  const full = [1, ...shape];
  const x = g.activation(full, type, xq);
  let other = x;
  if (form === 'squeeze-excite') {
    other = g.activation([1, 1, 1, shape[2]], type, randomQuant(rng, type, 0.005, 0.2, extreme));
    g.op(Op.MEAN, [x, g.int32s([1, 2])], [other], { type: Options.Reducer, fields: [[0, 'bool', 1]] });
  } else if (form === 'row') {
    other = g.activation([1, shape[0], 1, shape[2]], type, xq);
    g.op(1 /* AVERAGE_POOL_2D */, [x], [other], { type: 5, fields: [[0, 'int8', padding.VALID], [1, 'int32', 1], [2, 'int32', 1], [3, 'int32', shape[1]], [4, 'int32', 1], [5, 'int8', 0]] });
  }
  const y = g.activation(full, type, randomQuant(rng, type, 0.001, 0.1, extreme));
  const [a, b] = rng.int(0, 1) ? [x, other] : [other, x];
  g.op(Op.MUL, [a, b], [y], { type: Options.Mul, fields: [[0, 'int8', activation]] });
  return { name: `MUL ${type} [${shape}] ${form}${activation ? ` activation ${activation}` : ''}`, bytes: g.encode([x], [y]), type, inputShape: full };
}

/** SPLIT of the input into `parts` along `axis`; the first two parts multiplied, so that the graph has one output. */
export function splitModel(rng: Rng, type: ActivationType, shape: [number, number, number], axis: number, parts: number): TestModel {
  const g = new GraphBuilder();
  const q = randomQuant(rng, type, 0.01, 0.1);
  const full = [1, ...shape];
  const x = g.activation(full, type, q);
  const partShape = full.map((d, k) => (k === axis ? d / parts : d));
  const outs = Array.from({ length: parts }, () => g.activation(partShape, type, q));
  g.op(Op.SPLIT, [g.int32s([axis], []), x], outs, { type: Options.Split, fields: [[0, 'int32', parts]] });
  const y = g.activation(partShape, type, randomQuant(rng, type, 0.001, 0.1));
  g.op(Op.MUL, [outs[0], outs[1]], [y], { type: Options.Mul, fields: [[0, 'int8', 0]] });
  return { name: `SPLIT ${type} [${full}] axis ${axis} into ${parts}`, bytes: g.encode([x], [y]), type, inputShape: full };
}

export function argMaxModel(rng: Rng, type: ActivationType, shape: number[], axis: number): TestModel {
  const g = new GraphBuilder();
  const x = g.activation(shape, type, randomQuant(rng, type, 0.01, 0.1));
  const y = g.activation(shape.filter((_, k) => k !== axis), 'int32');
  g.op(Op.ARG_MAX, [x, g.int32s([axis], [])], [y], { type: Options.ArgMax, fields: [[0, 'int8', 2 /* INT32 */]] });
  return { name: `ARG_MAX ${type} [${shape}] axis ${axis}`, bytes: g.encode([x], [y]), type, inputShape: shape };
}

/** Random weights for a convolution: per-tensor uint8, or per-channel int8 symmetric, with a fitting int32 bias. */
function weights(g: GraphBuilder, rng: Rng, type: ActivationType, shape: number[], channelAxis: number, inputScale: number, bias: number[]) {
  const channels = shape[channelAxis];
  const count = shape.reduce((a, b) => a * b, 1);
  const scales = type === 'int8' ? Array.from({ length: channels }, () => rng.logUniform(0.002, 0.05)) : [rng.logUniform(0.002, 0.05)];
  const zeroPoints = type === 'int8' ? scales.map(() => 0) : [rng.int(100, 156)];
  const data = rng.bytes(count);
  if (type === 'int8') for (let i = 0; i < count; i++) if (data[i] === 128) data[i] = 129; // -128 is not a symmetric weight
  // Per-tensor weights say quantized_dimension 0, as TFLite's converter writes them: the
  // XNNPACK delegate refuses a uint8 tensor with any other, leaving the layer to TFLite's
  // built-in kernel, which shipped models never run.
  const w = g.constant(shape, type, data, scales, zeroPoints, type === 'int8' ? channelAxis : 0);
  const biasScales = scales.map((s) => inputScale * s);
  const b = g.constant([channels], 'int32', new Uint8Array(new Int32Array(bias.map((v, c) => Math.round(v / biasScales[type === 'int8' ? c : 0]))).buffer),
    biasScales, biasScales.map(() => 0));
  return { w, b };
}

/**
 * A MobileNet V3 bottleneck: expand 1x1 -> HARD_SWISH -> depthwise 3x3 -> HARD_SWISH ->
 * squeeze-and-excite (MEAN -> 1x1 -> RELU -> 1x1 -> hard-sigmoid -> MUL) -> project 1x1
 * -> ADD with the input. TFLite's converter writes hard-sigmoid relu6(x + 3) / 6 as the
 * +3 folded into the second 1x1's bias, a RELU6, and the / 6 folded into the MUL's output
 * scale; so does this model.
 */
export function bottleneckModel(rng: Rng, type: ActivationType, h: number, w: number, c: number, expand: number, squeeze: number): TestModel {
  const g = new GraphBuilder();
  const q = (lo: number, hi: number): Quant => randomQuant(rng, type, lo, hi);
  const xq = q(0.02, 0.1);
  const x = g.activation([1, h, w, c], type, xq);
  const conv1x1 = (input: number, inQ: Quant, shape: number[], inC: number, outQ: Quant, bias: number[], activation = 0): number => {
    const outC = bias.length;
    const { w: wt, b } = weights(g, rng, type, [outC, 1, 1, inC], 0, inQ.scale, bias);
    const y = g.activation([...shape.slice(0, 3), outC], type, outQ);
    g.op(Op.CONV_2D, [input, wt, b], [y], { type: Options.Conv2D, fields: [[0, 'int8', padding.VALID], [1, 'int32', 1], [2, 'int32', 1], [3, 'int8', activation]] });
    return y;
  };
  const around = (n: number, size: number): number[] => Array.from({ length: n }, () => (rng.float() - 0.5) * size);
  const full = [1, h, w, c];
  const eq = q(0.05, 0.2);
  const e = conv1x1(x, xq, full, c, eq, around(expand, 1));
  const ehq = q(0.03, 0.1);
  const eh = g.activation([1, h, w, expand], type, ehq);
  g.op(Op.HARD_SWISH, [e], [eh]);
  const dw = weights(g, rng, type, [1, 3, 3, expand], 3, ehq.scale, around(expand, 1));
  const dq = q(0.05, 0.2);
  const d = g.activation([1, h, w, expand], type, dq);
  g.op(Op.DEPTHWISE_CONV_2D, [eh, dw.w, dw.b], [d], { type: Options.DepthwiseConv2D, fields: [[0, 'int8', padding.SAME], [1, 'int32', 1], [2, 'int32', 1], [3, 'int32', 1], [4, 'int8', 0]] });
  const dhq = q(0.03, 0.1);
  const dh = g.activation([1, h, w, expand], type, dhq);
  g.op(Op.HARD_SWISH, [d], [dh]);
  const mq = q(0.01, 0.05);
  const m = g.activation([1, 1, 1, expand], type, mq);
  g.op(Op.MEAN, [dh, g.int32s([1, 2])], [m], { type: Options.Reducer, fields: [[0, 'bool', 1]] });
  const s1q = q(0.01, 0.05);
  const s1 = conv1x1(m, mq, [1, 1, 1], expand, s1q, around(squeeze, 0.5));
  const r1q = q(0.005, 0.03);
  const r1 = g.activation([1, 1, 1, squeeze], type, r1q);
  g.op(Op.RELU, [s1], [r1]);
  const s2q = q(0.02, 0.06);
  const s2 = conv1x1(r1, r1q, [1, 1, 1], squeeze, s2q, around(expand, 1).map((v) => v + 3));
  const gq = { scale: 6 / 255, zeroPoint: type === 'int8' ? -128 : 0 };
  const gate = g.activation([1, 1, 1, expand], type, gq);
  g.op(Op.RELU6, [s2], [gate]);
  const seq = q(0.05, 0.3); // scale of dh * gate, i.e. 6x the scale of dh * hard-sigmoid
  const se = g.activation([1, h, w, expand], type, seq);
  g.op(Op.MUL, [dh, gate], [se], { type: Options.Mul, fields: [[0, 'int8', 0]] });
  const pq = q(0.02, 0.1);
  const p = conv1x1(se, seq, full, expand, pq, around(c, 0.5));
  const yq = q(0.03, 0.12);
  const y = g.activation(full, type, yq);
  g.op(Op.ADD, [x, p], [y], { type: Options.Add, fields: [[0, 'int8', 0]] });
  return { name: `V3 bottleneck ${type} ${h}x${w}x${c} expand ${expand} squeeze ${squeeze}`, bytes: g.encode([x], [y]), type, inputShape: full };
}

/**
 * Hard-swish as the converter writes it when it does not fuse it, x * relu6(x + 3) / 6:
 * ADD of a constant scalar, RELU6, MUL by a constant scalar, MUL by x. The constants'
 * quantization is random; the operand order is too.
 */
export function unfusedHardSwishModel(rng: Rng, type: ActivationType, shape: number[]): TestModel {
  const g = new GraphBuilder();
  const xq = randomQuant(rng, type, 0.01, 0.1);
  const x = g.activation(shape, type, xq);
  const scalar = (value: number): number => {
    const q = randomQuant(rng, type, Math.abs(value) / 200, Math.abs(value) / 50);
    const raw = Math.max(type === 'int8' ? -128 : 0, Math.min(type === 'int8' ? 127 : 255, Math.round(value / q.scale) + q.zeroPoint));
    return g.constant([], type, Uint8Array.of(raw & 0xff), [q.scale], [q.zeroPoint]);
  };
  const pair = (u: number, v: number): number[] => (rng.int(0, 1) ? [u, v] : [v, u]);
  const plus = g.activation(shape, type, randomQuant(rng, type, 0.02, 0.1));
  g.op(Op.ADD, pair(x, scalar(3)), [plus], { type: Options.Add, fields: [[0, 'int8', 0]] });
  const six = { scale: 6 / 255, zeroPoint: type === 'int8' ? -128 : 0 };
  const clamped = g.activation(shape, type, six);
  g.op(Op.RELU6, [plus], [clamped]);
  const gate = g.activation(shape, type, { scale: 1 / 255, zeroPoint: type === 'int8' ? -128 : 0 });
  g.op(Op.MUL, pair(clamped, scalar(1 / 6)), [gate], { type: Options.Mul, fields: [[0, 'int8', 0]] });
  const y = g.activation(shape, type, randomQuant(rng, type, 0.005, 0.1));
  g.op(Op.MUL, pair(x, gate), [y], { type: Options.Mul, fields: [[0, 'int8', 0]] });
  return { name: `unfused hard-swish ${type} [${shape}]`, bytes: g.encode([x], [y]), type, inputShape: shape };
}
