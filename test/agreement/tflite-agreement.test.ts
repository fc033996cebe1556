// Our runtime against real TensorFlow Lite on the same input tensors, for every shipped
// model and test image, on every kernel implementation.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { Runtime } from '../../kernels/runtime.js';
import { planModel } from '../../kernels/graph/plan.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import { imageToTensor } from '../../agent/preprocess.js';
import { implementations } from '../kernels/implementations.js';
import { imagePath, modelPath, shippedModels, testImages } from '../support/paths.js';

const argmax = (xs: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
};

describe.each(shippedModels)('%s agrees with TensorFlow Lite', (name) => {
  let tflite: TfliteWasmRunner;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    const model = await loadModelFile(modelPath(name));
    const plan = planModel(model);
    for (const kernels of implementations) runtimes.push(new Runtime(plan, kernels));
    tflite = await TfliteWasmRunner.create(await readFile(modelPath(name)));
  });
  afterAll(() => tflite?.close());

  it.each(testImages)('on %s', async (image) => {
    const runtime = runtimes[0];
    const [height, width, channels] = runtime.inputShape;
    const input = await imageToTensor(imagePath(image), { height, width, channels, type: runtime.plan.input.tensor.type }, image);
    tflite.input().set(input);
    tflite.infer();
    const expected = tflite.output();

    for (const r of runtimes) {
      const { raw } = await r.run(input);
      expect(raw.length, r.engine).toBe(expected.length);
      let within1 = 0;
      let worst = 0;
      for (let i = 0; i < raw.length; i++) {
        const d = Math.abs(raw[i] - expected[i]);
        if (d <= 1) within1++;
        worst = Math.max(worst, d);
      }
      const label = `${r.engine}: ${within1}/${raw.length} within 1, worst ${worst}`;
      expect(argmax(raw), label).toBe(argmax(expected));
      expect(within1 / raw.length, label).toBeGreaterThanOrEqual(0.99);
      expect(worst, label).toBeLessThanOrEqual(3);
    }
  });
});
