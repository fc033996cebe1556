// The detector head's operators on every implementation against the plain loops of
// plain-loop-detection.ts: CONCATENATION, LOGISTIC and TFLite_Detection_PostProcess.
import { describe, expect, it } from 'vitest';
import { implementations } from './implementations.js';
import { ConcatenationTester } from './testers/concatenation-tester.js';
import { DetectionPostprocessTester } from './testers/detection-postprocess-tester.js';
import { LogisticTester } from './testers/logistic-tester.js';

describe.each(implementations)('concatenation on $name', (kernels) => {
  it('random shapes along an inner, middle and outer axis', () => {
    for (const [outer, inner] of [[1, 1], [1, 4], [3, 5], [7, 91], [2, 1]]) {
      for (const inputs of [1, 2, 6]) new ConcatenationTester().inputs(inputs).outer(outer).inner(inner).test(kernels);
    }
  });

  it('inputs quantized like the output are copied, the others requantized', () => {
    new ConcatenationTester().inputs(6).outer(1).inner(4).sameAsOutput([0]).test(kernels);
    new ConcatenationTester().inputs(3).outer(2).inner(3).sameAsOutput([0, 1, 2]).test(kernels);
  });

  it('zero points at the extremes', () => {
    new ConcatenationTester().inputs(3).zeroPointsOf([0, 255, 0, 255]).test(kernels);
    new ConcatenationTester().inputs(3).zeroPointsOf([255, 0, 128, 0]).test(kernels);
  });
});

describe.each(implementations)('logistic on $name', (kernels) => {
  it('input scales from saturating to nearly linear', () => {
    for (const s of [0.001, 0.0497, 0.1, 0.5, 2]) new LogisticTester().inputScale(s).test(kernels);
  });

  it('zero points at the extremes (int8 tensors sit at 128 in the uint8 domain)', () => {
    for (const z of [0, 1, 128, 223, 254, 255]) new LogisticTester().inputZeroPoint(z).test(kernels);
  });
});

describe.each(implementations)('detection postprocess on $name', (kernels) => {
  it('fast NMS over random boxes, with and without a background class', () => {
    for (const classes of [1, 3, 90]) {
      new DetectionPostprocessTester().boxes(150).classes(classes).test(kernels);
      new DetectionPostprocessTester().boxes(150).classes(classes, false).test(kernels);
    }
  });

  it('many equal scores are kept in TFLite\'s order: best first, equal ones in box order', () => {
    for (const levels of [1, 2, 3]) {
      const t = new DetectionPostprocessTester().boxes(400).classes(5).scoreLevels(levels).thresholds(0, 0.5).detections(50);
      t.test(kernels);
      expect(t.lastCount).toBeGreaterThan(1);
    }
  });

  it('no box above the threshold gives no detection; more candidates than max_detections gives max_detections', () => {
    const none = new DetectionPostprocessTester().boxes(100).classes(3).thresholds(1.01, 0.5);
    none.test(kernels);
    expect(none.lastCount).toBe(0);
    const full = new DetectionPostprocessTester().boxes(500).classes(3).thresholds(0, 1).detections(7);
    full.test(kernels);
    expect(full.lastCount).toBe(7);
  });

  it('zero-area boxes never suppress and are never suppressed', () => {
    for (const share of [0.5, 1]) new DetectionPostprocessTester().boxes(200).classes(3).zeroAreaShare(share).thresholds(0.1, 0.01).test(kernels);
  });

  it('several classes per detection (distinct scores: TFLite leaves their ties to its C++ library)', () => {
    new DetectionPostprocessTester().boxes(50).classes(4).detections(5, 3).distinctScores().thresholds(0, 0.5).test(kernels);
    new DetectionPostprocessTester().boxes(60).classes(3, false).detections(4, 5).distinctScores().thresholds(0, 0.5).test(kernels);
  });

  it('regular (per-class) NMS, equal scores of a later class ranked first as TFLite merges them', () => {
    new DetectionPostprocessTester().boxes(50).classes(4).regularNms(3).detections(10).distinctScores().thresholds(0, 0.5).test(kernels);
    new DetectionPostprocessTester().boxes(40).classes(5, false).regularNms(100).detections(6).distinctScores().thresholds(0.2, 0.3).test(kernels);
    for (const levels of [1, 2, 4]) {
      new DetectionPostprocessTester().boxes(200).classes(3).regularNms(5).detections(1).scoreLevels(levels).thresholds(0, 0.5).test(kernels);
      new DetectionPostprocessTester().boxes(200).classes(6).regularNms(4).detections(12).scoreLevels(levels).thresholds(0, 0.5).test(kernels);
    }
  });
});
