// Every layer of every shipped model, cut out into a model of its own and run by real
// TensorFlow Lite on exactly the input our runtime gave it: the outputs must be
// identical. This checks each operator's arithmetic against TFLite directly, without the
// drift that rare differences accumulate through a whole network.
import { afterAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import type { Step } from '../../kernels/graph/steps.js';
import type { Tensor } from '../../kernels/tflite/model-types.js';
import { implementations } from '../kernels/implementations.js';
import { shippedModels } from '../support/paths.js';
import { singleOperatorModel } from '../support/single-op-model.js';
import { executorOnImage } from './executor-on-image.js';

/** A stored (uint8-domain) tensor back in its own type, as TFLite holds it. */
function ownType(t: Tensor, stored: Uint8Array | Float32Array | Int32Array | Float64Array): Uint8Array | Int8Array | Float32Array | Int32Array | Float64Array {
  if (t.type === 'int8') return Int8Array.from(stored as Uint8Array, (v) => v - 128);
  return stored.slice();
}

/**
 * How many values of each output hold results: all of them, except past the count of the
 * detection postprocess, where TFLite leaves whatever its memory held.
 */
function meaningful(step: Step, outputs: ArrayLike<number>[]): number[] {
  if (step.kind !== 'detectionPostprocess') return outputs.map((o) => o.length);
  const entries = outputs[3][0] * step.params.maxClassesPerDetection;
  return [entries * 4, entries, entries, 1];
}

describe.each(shippedModels)('%s, layer by layer against TensorFlow Lite', (name) => {
  const runners = new Map<number, TfliteWasmRunner>();
  afterAll(() => runners.forEach((r) => r.close()));

  it.each(implementations.map((k) => [k.name, k] as const))('every layer on %s equals TFLite on the same input', async (_, kernels) => {
    const { model, plan, executor } = await executorOnImage(name, kernels, 'grace_hopper.png');
    const mismatches: string[] = [];
    for (let i = 0; i < plan.steps.length; i++) {
      const step = plan.steps[i];
      const op = step.operator;
      const inputs = op.inputs
        .filter((t) => t >= 0 && !model.tensors[t].data)
        .map((t) => ownType(model.tensors[t], executor.stored(t)));
      executor.runStep(i);
      const ours = step.outputs.map((t, k) => ownType(model.tensors[op.outputs[k]], executor.stored(t)));
      let runner = runners.get(i);
      if (!runner) {
        runner = await TfliteWasmRunner.create(singleOperatorModel(model, op));
        runners.set(i, runner);
      }
      inputs.forEach((v, k) => runner!.input(k).set(v));
      runner.infer();
      const theirs = ours.map((_, k) => runner!.output(k));
      const lengths = meaningful(step, theirs);
      ours.forEach((values, k) => {
        let differ = 0;
        let worst = 0;
        for (let j = 0; j < lengths[k]; j++) {
          const d = Math.abs(values[j] - theirs[k][j]);
          if (!(d === 0)) differ++;
          if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
        }
        if (differ > 0) mismatches.push(`layer ${i} ${op.name} output ${k}: ${differ} of ${lengths[k]} differ, worst by ${worst}`);
      });
    }
    expect(mismatches).toEqual([]);
  });
});
