// The MobileNet V3 operators (HARD_SWISH, MUL with broadcasting, RELU, RELU6, SPLIT, the two
// resizes, ARG_MAX) and a whole V3 bottleneck, in models with random weights and
// quantization, run on every kernel set and on real TensorFlow Lite over random inputs.
// Each output must be within 1 of TFLite's; the share that is exact is printed per
// operator, and must be high (the operators alone are expected to be exact).
import { afterAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { Executor } from '../../kernels/graph/executor.js';
import { planModel } from '../../kernels/graph/plan.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { implementations } from '../kernels/implementations.js';
import { caseSeed, Rng } from '../support/rng.js';
import { singleOperatorModel } from '../support/single-op-model.js';
import {
  argMaxModel, bottleneckModel, hardSwishModel, mulModel, reluModel, resizeModel, splitModel, unfusedHardSwishModel,
  type TestModel,
} from '../support/v3-models.js';

const RUNS = 3;

interface Tally {
  values: number;
  exact: number;
  worst: number;
}

async function compare(m: TestModel, rng: Rng): Promise<Map<string, Tally>> {
  const tflite = await TfliteWasmRunner.create(m.bytes);
  const plan = planModel(readModel(m.bytes, m.name));
  const executors = implementations.map((k) => new Executor(plan, k));
  const tallies = new Map(implementations.map((k) => [k.name, { values: 0, exact: 0, worst: 0 }]));
  try {
    const size = m.inputShape.reduce((a, b) => a * b, 1);
    for (let run = 0; run < RUNS; run++) {
      const bytes = rng.bytes(size);
      const input = m.type === 'int8' ? new Int8Array(bytes.buffer) : bytes;
      tflite.input(0).set(input);
      tflite.infer();
      const theirs = tflite.output();
      executors.forEach((e, i) => {
        e.setInput(input);
        e.run();
        const ours = e.output();
        const t = tallies.get(implementations[i].name)!;
        expect(ours.length).toBe(theirs.length);
        for (let j = 0; j < ours.length; j++) {
          const d = Math.abs(ours[j] - theirs[j]);
          t.values++;
          if (d === 0) t.exact++;
          t.worst = Math.max(t.worst, d);
        }
      });
    }
  } finally {
    tflite.close();
  }
  return tallies;
}

const summary: string[] = [];
afterAll(() => console.log(`\nAgreement with TensorFlow Lite (${RUNS} random inputs per model):\n${summary.join('\n')}`));

/** Runs every model of a family and checks: within 1 everywhere, at least `minExact` exact. */
async function family(label: string, models: (rng: Rng) => TestModel[], minExact: number): Promise<void> {
  const rng = new Rng(caseSeed(label));
  const total = new Map<string, Tally>();
  const failures: string[] = [];
  for (const m of models(rng)) {
    for (const [impl, t] of await compare(m, rng)) {
      if (t.worst > 1) failures.push(`${m.name} on ${impl}: off by ${t.worst}`);
      const sum = total.get(impl) ?? { values: 0, exact: 0, worst: 0 };
      total.set(impl, { values: sum.values + t.values, exact: sum.exact + t.exact, worst: Math.max(sum.worst, t.worst) });
    }
  }
  for (const [impl, t] of total) {
    const share = t.exact / t.values;
    summary.push(`  ${label} on ${impl}: ${t.exact} of ${t.values} exact (${(100 * share).toFixed(3)}%), worst ${t.worst}`);
    if (share < minExact) failures.push(`${label} on ${impl}: only ${(100 * share).toFixed(3)}% exact`);
  }
  expect(failures).toEqual([]);
}

const types = ['uint8', 'int8'] as const;
const oddShapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [7, 9, 16], [13, 11, 33], [2, 2, 65]];

describe('MobileNet V3 operators against TensorFlow Lite', () => {
  it('HARD_SWISH', () => family('HARD_SWISH', (rng) => types.flatMap((t) => [
    ...oddShapes.map((s) => hardSwishModel(rng, t, [1, ...s])),
    hardSwishModel(rng, t, [1, 4, 4, 16], true), hardSwishModel(rng, t, [1, 4, 4, 16], true),
  ]), 1));

  it('RELU and RELU6', () => family('RELU, RELU6', (rng) => types.flatMap((t) => [false, true].flatMap((six) => [
    ...oddShapes.map((s) => reluModel(rng, t, [1, ...s], six)),
    reluModel(rng, t, [1, 4, 4, 16], six, true),
  ])), 0.999));

  it('MUL: squeeze-and-excite broadcast, row broadcast, same shape, fused activation', () => family('MUL', (rng) => types.flatMap((t) => [
    ...oddShapes.map((s) => mulModel(rng, t, s, 'squeeze-excite')),
    mulModel(rng, t, [14, 14, 72], 'squeeze-excite'),
    mulModel(rng, t, [5, 7, 9], 'row'),
    mulModel(rng, t, [6, 3, 17], 'square'),
    mulModel(rng, t, [6, 3, 17], 'squeeze-excite', 3),
    mulModel(rng, t, [4, 4, 16], 'squeeze-excite', 0, true),
  ]), 1));

  it('ADD and MUL by a constant scalar: hard-swish as x * relu6(x + 3) / 6', () => family('ADD, MUL by a constant', (rng) => types.flatMap((t) =>
    oddShapes.map((s) => unfusedHardSwishModel(rng, t, [1, ...s]))), 1));

  it('SPLIT', () => family('SPLIT', (rng) => types.flatMap((t) => [
    splitModel(rng, t, [4, 6, 8], 3, 2), splitModel(rng, t, [3, 5, 12], 3, 3), splitModel(rng, t, [6, 5, 3], 1, 2),
    splitModel(rng, t, [3, 8, 3], 2, 4),
  ]), 1));

  for (const bilinear of [false, true]) {
    const op = bilinear ? 'RESIZE_BILINEAR' : 'RESIZE_NEAREST_NEIGHBOR';
    it(`${op}: legacy, align_corners, half_pixel_centers; odd sizes up and down`, () => family(op, (rng) => types.flatMap((t) =>
      (['legacy', 'align', 'half'] as const).flatMap((mode) => [
        resizeModel(rng, t, bilinear, [5, 7, 3], [11, 13], mode),
        resizeModel(rng, t, bilinear, [9, 6, 4], [4, 3], mode),
        resizeModel(rng, t, bilinear, [10, 10, 8], [19, 19], mode),
        resizeModel(rng, t, bilinear, [1, 3, 2], [1, 7], mode),
        resizeModel(rng, t, bilinear, [3, 3, 5], [1, 1], mode),
      ])), 1));
  }

  it('ARG_MAX', () => family('ARG_MAX', (rng) => types.flatMap((t) => [
    argMaxModel(rng, t, [1, 5, 7, 21], 3), argMaxModel(rng, t, [1, 5, 7, 3], 1), argMaxModel(rng, t, [1, 1001], 1),
  ]), 1));

  // Our convolutions reproduce XNNPACK's (kernels/ARITHMETIC.md). A convolution that TFLite's
  // XNNPACK delegate refuses runs TFLite's built-in kernel instead, whose fixed-point
  // requantization differs from XNNPACK's near ties: the comparisons here would then
  // measure that kernel. The delegate refused the uint8 depthwise when these models wrote
  // its per-tensor weights with quantized_dimension 3.
  it.each(types)('TFLite runs every convolution of a V3 bottleneck (%s) in its XNNPACK delegate', async (type) => {
    const m = bottleneckModel(new Rng(caseSeed(`bottleneck delegation ${type}`)), type, 7, 7, 16, 64, 16);
    const tflite = await TfliteWasmRunner.create(m.bytes, 1, true);
    try {
      tflite.infer();
      const nodes = tflite.nodesRun();
      expect(nodes).toContain('TfLiteXNNPackDelegate');
      expect(nodes.filter((n) => n === 'CONV_2D' || n === 'DEPTHWISE_CONV_2D')).toEqual([]);
    } finally {
      tflite.close();
    }
  });

  it.each(types)('a V3 bottleneck (%s) end to end: expand, hard-swish, depthwise, squeeze-and-excite, project, residual add', (type) => family(`V3 bottleneck ${type}`, (rng) => [
    bottleneckModel(rng, type, 7, 7, 16, 64, 16), bottleneckModel(rng, type, 14, 14, 24, 72, 24), bottleneckModel(rng, type, 5, 9, 40, 120, 32),
  ], 0.95));

  it.each(types)('a V3 bottleneck (%s) layer by layer: every V3 operator equals TFLite on the same input', async (type) => {
    const rng = new Rng(caseSeed(`bottleneck layers ${type}`));
    const failures: string[] = [];
    for (const m of [bottleneckModel(rng, type, 7, 7, 16, 64, 16), bottleneckModel(rng, type, 14, 14, 24, 72, 24)]) {
      const model = readModel(m.bytes, m.name);
      const plan = planModel(model);
      for (const kernels of implementations) {
        const e = new Executor(plan, kernels);
        const bytes = rng.bytes(m.inputShape.reduce((a, b) => a * b, 1));
        e.setInput(type === 'int8' ? new Int8Array(bytes.buffer) : bytes);
        for (let i = 0; i < plan.steps.length; i++) {
          const op = plan.steps[i].operator;
          const inputs = op.inputs.filter((t) => t >= 0 && !model.tensors[t].data).map((t) => (e.stored(t) as Uint8Array).slice());
          e.runStep(i);
          const ours = e.stored(plan.steps[i].output) as Uint8Array;
          const tflite = await TfliteWasmRunner.create(singleOperatorModel(model, op));
          try {
            inputs.forEach((v, k) => (type === 'int8' ? tflite.input(k).set(Int8Array.from(v, (x) => x - 128)) : tflite.input(k).set(v)));
            tflite.infer();
            const theirs = tflite.output();
            let differ = 0;
            for (let j = 0; j < ours.length; j++) if (ours[j] - (type === 'int8' ? 128 : 0) !== theirs[j]) differ++;
            const line = `${m.name} layer ${i} ${op.name} on ${kernels.name}: ${differ} of ${ours.length} differ`;
            if (differ > 0) failures.push(line);
          } finally {
            tflite.close();
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
