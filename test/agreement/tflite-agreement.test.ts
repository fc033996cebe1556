// Our runtime against real TensorFlow Lite on the same input tensors, for every shipped
// model and test image, on every kernel implementation.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { Runtime } from '../../kernels/runtime.js';
import { planModel } from '../../kernels/graph/plan.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import { imageToTensor } from '../../agent/pipeline/preprocess.js';
import { implementations } from '../kernels/implementations.js';
import { agreementFailures, compareOutputs, describeAgreement } from '../support/agreement.js';
import { imagePath, modelPath, shippedClassifiers, testImages } from '../support/paths.js';

// The criteria (top-1 identical, >= 99% of the outputs within 1, none beyond 3) live in
// test/support/agreement.ts, shared with the arm64 run under qemu (scripts/test-arm-node).

describe.each(shippedClassifiers)('%s agrees with TensorFlow Lite', (name) => {
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
      const raw = r.run(input);
      const agreement = compareOutputs(raw, expected);
      expect(agreementFailures(agreement), `${r.engine}: ${describeAgreement(agreement)}`).toEqual([]);
    }
  });
});
