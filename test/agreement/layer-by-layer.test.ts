// Every layer of a model checked on its own: each step's output against a real-number
// recomputation of the same TFLite operator from our previous layer's output.
import { describe, expect, it } from 'vitest';
import { implementations } from '../kernels/implementations.js';
import { executorOnImage } from './executor-on-image.js';
import { ownTypeValues, referenceOutput } from './float-reference.js';

const models = ['mobilenet_v2_1.0_224_quant.tflite', 'tf2_mobilenet_v2_1.0_224_ptq.tflite'];

describe.each(models)('%s layer by layer', (name) => {
  it.each(implementations.map((k) => [k.name, k] as const))('on %s every layer is within 1 of real-number math', async (_, kernels) => {
    const { model, plan, executor } = await executorOnImage(name, kernels, 'cat.png');
    const report: string[] = [];
    plan.steps.forEach((step, i) => {
      const inputs = step.operator.inputs
        .filter((t) => t >= 0 && !model.tensors[t].data)
        .map((t) => ownTypeValues(model.tensors[t], executor.stored(t).slice()));
      executor.runStep(i);
      const outputTensor = model.tensors[step.operator.outputs[0]];
      const ours = ownTypeValues(outputTensor, executor.stored(step.output));
      const expected = referenceOutput(model, step.operator, inputs);
      let worst = 0;
      let at = -1;
      for (let j = 0; j < ours.length; j++) {
        const d = Math.abs(ours[j] - expected[j]);
        if (d > worst) [worst, at] = [d, j];
      }
      if (worst > 1) report.push(`step ${i} (${step.operator.name} #${step.operator.index}): off by ${worst} at ${at}`);
    });
    expect(plan.steps.length).toBeGreaterThan(50);
    expect(report).toEqual([]);
  });
});
