// The detection postprocess against real TensorFlow Lite where the order of equal scores
// decides the output: one-operator models over random boxes whose scores take only a few
// values, with fast NMS (one and several classes per detection) and regular NMS. Our
// outputs must be TFLite's exactly, up to the count.
import { afterAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { lowerOperator } from '../../kernels/graph/lowering/index.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { implementations } from '../kernels/implementations.js';
import { postprocessModel, ssdOptions } from '../support/detector-model.js';
import { Rng } from '../support/rng.js';

const BOXES = 300;
const CLASSES = 6;
const f = Math.fround;

const cases: [string, Record<string, unknown>][] = [
  ['fast NMS, one class per detection', { ...ssdOptions, num_classes: CLASSES, max_detections: 40, nms_iou_threshold: f(0.5) }],
  ['fast NMS, three classes per detection', { ...ssdOptions, num_classes: CLASSES, max_detections: 20, max_classes_per_detection: 3, nms_iou_threshold: f(0.5) }],
  ['regular NMS', { ...ssdOptions, num_classes: CLASSES, max_detections: 30, use_regular_nms: true, detections_per_class: 8, nms_iou_threshold: f(0.5) }],
  ['regular NMS keeping one', { ...ssdOptions, num_classes: CLASSES, max_detections: 1, use_regular_nms: true, detections_per_class: 4, nms_iou_threshold: f(0.5) }],
];

describe.each(cases)('%s with many equal scores, against TensorFlow Lite', (_, options) => {
  const runners: TfliteWasmRunner[] = [];
  afterAll(() => runners.forEach((r) => r.close()));

  it.each([1, 2, 3, 5])('scores drawn from %i values', async (levels) => {
    const rng = new Rng(1000 + levels);
    const anchors = Uint8Array.from({ length: BOXES * 4 }, (_, i) => (i % 4 < 2 ? rng.int(0, 255) : rng.int(10, 120)));
    const bytes = postprocessModel({ boxes: BOXES, classes: CLASSES + 1, options, anchors });
    const model = readModel(bytes, 'postprocess.tflite');
    const lowered = lowerOperator(model, model.operators[0]);
    if (!('step' in lowered) || lowered.step.kind !== 'detectionPostprocess') throw new Error('not a postprocess step');
    const params = lowered.step.params;
    const runner = await TfliteWasmRunner.create(bytes);
    runners.push(runner);

    const values = Array.from({ length: levels }, () => rng.int(1, 255));
    const encodings = rng.bytes(BOXES * 4);
    const scores = Uint8Array.from({ length: BOXES * (CLASSES + 1) }, () => values[rng.int(0, levels - 1)]);
    runner.input(0).set(encodings);
    runner.input(1).set(scores);
    runner.infer();
    const [boxes, classes, detectionScores, count] = [0, 1, 2, 3].map((k) => runner.output(k));
    const n = count[0];
    const entries = n * (params.useRegularNms ? 1 : params.maxClassesPerDetection);
    expect(n).toBeGreaterThan(0);

    for (const kernels of implementations) {
      const detections = params.maxDetections * params.maxClassesPerDetection;
      const out = {
        boxes: new Float32Array(detections * 4), classes: new Float32Array(detections),
        scores: new Float32Array(detections), count: new Float32Array(1),
      };
      kernels.detectionPostprocess(params).run(encodings, scores, out);
      expect(out.count[0], kernels.name).toBe(n);
      expect(Array.from(out.classes.subarray(0, entries)), `${kernels.name}: classes`).toEqual(Array.from(classes.subarray(0, entries)));
      expect(Array.from(out.scores.subarray(0, entries)), `${kernels.name}: scores`).toEqual(Array.from(detectionScores.subarray(0, entries)));
      expect(Array.from(out.boxes.subarray(0, 4 * entries)), `${kernels.name}: boxes`).toEqual(Array.from(boxes.subarray(0, 4 * entries)));
    }
  });
});
