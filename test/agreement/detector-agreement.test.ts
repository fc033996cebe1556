// The shipped detector against real TensorFlow Lite (its wasm build includes
// TFLite_Detection_PostProcess) on every sample image, resized to the input with
// nearest-neighbour, on every kernel implementation: the same number of detections, the
// same classes in the same order, scores within 1/256 and box coordinates within 0.01.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { planModel } from '../../kernels/graph/plan.js';
import { Runtime } from '../../kernels/runtime.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import { imageToTensor } from '../../agent/pipeline/preprocess.js';
import { implementations } from '../kernels/implementations.js';
import { imagePath, modelPath, shippedDetectors, testImages } from '../support/paths.js';

const SCORE_TOLERANCE = 1 / 256;
const BOX_TOLERANCE = 0.01;

describe.each(shippedDetectors)('%s detects what TensorFlow Lite detects', (name) => {
  let tflite: TfliteWasmRunner;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    const plan = planModel(await loadModelFile(modelPath(name)));
    for (const kernels of implementations) runtimes.push(new Runtime(plan, kernels));
    tflite = await TfliteWasmRunner.create(await readFile(modelPath(name)));
  });
  afterAll(() => tflite?.close());

  it.each(testImages)('on %s', async (image) => {
    const [height, width, channels] = runtimes[0].inputShape;
    const input = await imageToTensor(imagePath(image), { height, width, channels, type: 'uint8' }, image, { fit: 'fill', kernel: 'nearest' });
    tflite.input().set(input);
    tflite.infer();
    const [boxes, classes, scores, count] = [0, 1, 2, 3].map((k) => tflite.output(k));
    const n = count[0];
    expect(n, 'TFLite finds something on every sample image').toBeGreaterThan(0);

    for (const r of runtimes) {
      const [ourBoxes, ourClasses, ourScores, ourCount] = r.runOutputs(input);
      expect(ourCount[0], `${r.engine}: count`).toBe(n);
      expect(Array.from(ourClasses.subarray(0, n)), `${r.engine}: classes`).toEqual(Array.from(classes.subarray(0, n)));
      let scoreWorst = 0;
      let boxWorst = 0;
      for (let i = 0; i < n; i++) scoreWorst = Math.max(scoreWorst, Math.abs(ourScores[i] - scores[i]));
      for (let i = 0; i < 4 * n; i++) boxWorst = Math.max(boxWorst, Math.abs(ourBoxes[i] - boxes[i]));
      console.log(`${name} on ${image}, ${r.engine}: ${n} detections, classes ${Array.from(classes.subarray(0, n)).join(',')}, ` +
        `top score ${scores[0].toFixed(4)} (class ${classes[0]}); worst score difference ${scoreWorst}, worst box difference ${boxWorst}`);
      expect(scoreWorst, `${r.engine}: scores`).toBeLessThanOrEqual(SCORE_TOLERANCE);
      expect(boxWorst, `${r.engine}: boxes`).toBeLessThanOrEqual(BOX_TOLERANCE);
    }
  });
});
