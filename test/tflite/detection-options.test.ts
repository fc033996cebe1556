// A TFLite_Detection_PostProcess whose options are missing, contradictory or damaged, or
// whose anchors do not fit, is refused at load with a ModelError that says what is wrong;
// never a crash and never a detector that runs on zeros.
import { describe, expect, it } from 'vitest';
import { lowerOperator } from '../../kernels/graph/lowering/index.js';
import { ModelError } from '../../kernels/tflite/errors.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { postprocessModel, ssdOptions, type PostprocessModel } from '../support/detector-model.js';
import { encode } from 'flatbuffers/js/flexbuffers.js';

const BOXES = 6;
const anchors = Uint8Array.from({ length: BOXES * 4 }, (_, i) => 40 + i);
const model = (changes: Partial<PostprocessModel> = {}): PostprocessModel => ({ boxes: BOXES, classes: 91, anchors, ...changes });

/** What loading makes of the operator: its lowering to a kernel step (the graph itself has two inputs, which only TFLite runs). */
function lower(m: PostprocessModel) {
  const read = readModel(postprocessModel(m), 'detector.tflite');
  return lowerOperator(read, read.operators[0]);
}

function refusal(m: PostprocessModel): string {
  try {
    lower(m);
  } catch (e) {
    if (!(e instanceof ModelError)) throw new Error(`not a ModelError: ${(e as Error).stack}`);
    expect(e.message).not.toMatch(/\n|undefined/);
    return e.message;
  }
  throw new Error('the model was accepted');
}

const without = (key: string) => Object.fromEntries(Object.entries(ssdOptions).filter(([k]) => k !== key));

describe('TFLite_Detection_PostProcess options at load', () => {
  it('a well-formed postprocess plans, with outputs shaped from the options', () => {
    const lowered = lower(model());
    if (!('step' in lowered)) throw new Error('not a step');
    const step = lowered.step;
    expect(step.outputShapes).toEqual([[1, 10, 4], [1, 10], [1, 10], [1]]);
    expect(step.kind === 'detectionPostprocess' && step.params).toMatchObject({
      maxDetections: 10, maxClassesPerDetection: 1, detectionsPerClass: 100, useRegularNms: false, numClasses: 90, classesWithBackground: 91,
    });
  });

  it('missing options: none at all, or one without a default', () => {
    expect(refusal(model({ customOptions: new Uint8Array(0) }))).toMatch(/^detector\.tflite: operator 0 \(CUSTOM:TFLite_Detection_PostProcess\): custom_options are missing/);
    for (const key of ['max_detections', 'max_classes_per_detection', 'nms_score_threshold', 'nms_iou_threshold', 'num_classes', 'y_scale', 'h_scale']) {
      expect(refusal(model({ options: without(key) }))).toContain(`custom_options lack ${key}`);
    }
  });

  it('contradictory options', () => {
    expect(refusal(model({ options: { ...ssdOptions, num_classes: 80 } }))).toContain('scores have 91 classes; num_classes = 80 needs 80 or 81');
    expect(refusal(model({ options: { ...ssdOptions, max_detections: 0 } }))).toContain('max_detections = 0');
    expect(refusal(model({ options: { ...ssdOptions, max_classes_per_detection: -1 } }))).toContain('max_classes_per_detection = -1');
    expect(refusal(model({ options: { ...ssdOptions, use_regular_nms: true, detections_per_class: 0 } }))).toContain('detections_per_class = 0');
    expect(refusal(model({ options: { ...ssdOptions, nms_iou_threshold: 1.5 } }))).toContain('nms_iou_threshold = 1.5;');
    expect(refusal(model({ options: { ...ssdOptions, h_scale: 0 } }))).toContain('h_scale = 0');
    expect(refusal(model({ options: { ...ssdOptions, max_detections: 2.5 } }))).toContain('max_detections = 2.5 is not an integer');
    expect(refusal(model({ options: { ...ssdOptions, y_scale: 'ten' } }))).toContain('y_scale is not a number');
  });

  it('anchors of the wrong shape', () => {
    expect(refusal(model({ anchors: anchors.subarray(0, 20), anchorShape: [5, 4] }))).toContain('have shape [5,4]; expected [6, 4]');
    expect(refusal(model({ anchors: anchors.subarray(0, 18), anchorShape: [6, 3] }))).toContain('have shape [6,3]; expected [6, 4]');
  });

  it('a FlexBuffer cut short, or not a map', () => {
    const full = encode(ssdOptions);
    for (const cut of [1, 2, 3, 10, full.length / 2, full.length - 1]) {
      expect(refusal(model({ customOptions: full.subarray(0, Math.floor(cut)) }))).toMatch(/custom_options (are not a FlexBuffer map|are damaged|lack|: )/);
    }
    expect(refusal(model({ customOptions: encode([1, 2, 3]) }))).toContain('custom_options are not a FlexBuffer map: the root is not a map');
    // 64 bits wide: valid for TFLite, beyond the package's reader, refused cleanly.
    expect(refusal(model({ options: { ...ssdOptions, nms_iou_threshold: 0.6 } }))).toContain('custom_options are damaged or unreadable');
  });
});
