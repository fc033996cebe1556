// The V3 operators' several-output forms meet the planner's several graph outputs: SPLIT
// lowers to one step per part and ARG_MAX writes an int32 slot, and each of those parts
// and indices can be a graph output of its own. Every output of every implementation must
// equal TensorFlow Lite's, in the model's output order. ARG_MAX to int64 indices too:
// TFLite's wasm build cannot hand an int64 tensor out, so the int64 output is held to the
// int32 ARG_MAX that TFLite computes from the same input in the same model.
import { describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { Executor } from '../../kernels/graph/executor.js';
import { planModel } from '../../kernels/graph/plan.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { implementations } from '../kernels/implementations.js';
import { GraphBuilder, Op, Options, type ActivationType } from '../support/graph-builder.js';
import { caseSeed, Rng } from '../support/rng.js';
import { randomQuant } from '../support/v3-models.js';

const RUNS = 3;
const SHAPE = [1, 5, 7, 12];
const PARTS = 3;

/**
 * SPLIT of the input along channels into three parts; the first part goes on through a
 * RELU6, the other two are graph outputs as they are; ARG_MAX of the input over channels is
 * the last graph output.
 */
function splitAndArgMaxModel(rng: Rng, type: ActivationType): Uint8Array {
  const g = new GraphBuilder();
  const q = randomQuant(rng, type, 0.01, 0.1);
  const x = g.activation(SHAPE, type, q);
  const partShape = SHAPE.map((d, k) => (k === 3 ? d / PARTS : d));
  const parts = Array.from({ length: PARTS }, () => g.activation(partShape, type, q));
  g.op(Op.SPLIT, [g.int32s([3], []), x], parts, { type: Options.Split, fields: [[0, 'int32', PARTS]] });
  const relu = g.activation(partShape, type, randomQuant(rng, type, 0.005, 0.05));
  g.op(Op.RELU6, [parts[0]], [relu]);
  const indices = g.activation(SHAPE.slice(0, 3), 'int32');
  g.op(Op.ARG_MAX, [x, g.int32s([3], [])], [indices], { type: Options.ArgMax, fields: [[0, 'int8', 2 /* INT32 */]] });
  return g.encode([x], [relu, parts[1], parts[2], indices]);
}

/** ARG_MAX of the input over channels twice: to int32 indices and to int64 ones. */
function argMaxBothTypesModel(rng: Rng, type: ActivationType): Uint8Array {
  const g = new GraphBuilder();
  const x = g.activation(SHAPE, type, randomQuant(rng, type, 0.01, 0.1));
  const narrow = g.activation(SHAPE.slice(0, 3), 'int32');
  const wide = g.activation(SHAPE.slice(0, 3), 'int64');
  g.op(Op.ARG_MAX, [x, g.int32s([3], [])], [narrow], { type: Options.ArgMax, fields: [[0, 'int8', 2 /* INT32 */]] });
  g.op(Op.ARG_MAX, [x, g.int32s([3], [])], [wide], { type: Options.ArgMax, fields: [[0, 'int8', 4 /* INT64 */]] });
  return g.encode([x], [narrow, wide]);
}

describe('SPLIT parts and ARG_MAX indices as graph outputs', () => {
  it.each(['uint8', 'int8'] as const)('%s: ARG_MAX to int64 gives TensorFlow Lite\'s indices on every implementation', async (type) => {
    const rng = new Rng(caseSeed(`arg max int64 ${type}`));
    const bytes = argMaxBothTypesModel(rng, type);
    const plan = planModel(readModel(bytes, `arg max int64 ${type}`));
    expect(plan.outputs.map((o) => o.slot.storage)).toEqual(['i32', 'i64']);
    const tflite = await TfliteWasmRunner.create(bytes);
    try {
      const executors = implementations.map((k) => new Executor(plan, k));
      for (let run = 0; run < RUNS; run++) {
        // Few distinct values, so that maxima tie and the first one must win.
        const input = Uint8Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => [3, 90, 250][rng.int(0, 2)]);
        tflite.input(0).set(type === 'int8' ? new Int8Array(input.buffer) : input);
        tflite.infer();
        const theirs = Array.from(tflite.output(0));
        for (const [i, e] of executors.entries()) {
          e.setInput(type === 'int8' ? new Int8Array(input.buffer) : input);
          e.run();
          const [narrow, wide] = e.outputs();
          expect(wide, implementations[i].name).toBeInstanceOf(Float64Array);
          expect([Array.from(narrow), Array.from(wide)], `${implementations[i].name}, run ${run}`).toEqual([theirs, theirs]);
        }
      }
    } finally {
      tflite.close();
    }
  });

  it.each(['uint8', 'int8'] as const)('%s: every output equals TensorFlow Lite on every implementation', async (type) => {
    const rng = new Rng(caseSeed(`v3 graph outputs ${type}`));
    const bytes = splitAndArgMaxModel(rng, type);
    const plan = planModel(readModel(bytes, `split and arg max ${type}`));
    expect(plan.outputs.map((o) => o.slot.storage)).toEqual(['u8', 'u8', 'u8', 'i32']);
    expect(plan.steps.filter((s) => s.kind === 'slice')).toHaveLength(PARTS);
    const tflite = await TfliteWasmRunner.create(bytes);
    try {
      const executors = implementations.map((k) => new Executor(plan, k));
      for (let run = 0; run < RUNS; run++) {
        const input = rng.bytes(SHAPE.reduce((a, b) => a * b, 1));
        tflite.input(0).set(type === 'int8' ? new Int8Array(input.buffer) : input);
        tflite.infer();
        const theirs = plan.outputs.map((_, k) => Array.from(tflite.output(k)));
        for (const [i, e] of executors.entries()) {
          e.setInput(type === 'int8' ? new Int8Array(input.buffer) : input);
          e.run();
          const ours = e.outputs().map((o) => Array.from(o));
          expect(ours, `${implementations[i].name}, run ${run}`).toEqual(theirs);
        }
      }
    } finally {
      tflite.close();
    }
  });
});
