// Builder for TFLite_Detection_PostProcess: random anchors and encodings, scores drawn
// from a few levels so that equal scores are common, as quantized scores are:
//   new DetectionPostprocessTester().boxes(300).classes(5).scoreLevels(4).test(kernels)

import type { DetectionOutputs, DetectionPostprocessParams, KernelSet } from '../../../kernels/kernel-set.js';
import { describeCase, expectSameFloats } from '../compare.js';
import { detectionPostprocess } from '../plain-loop-detection.js';
import { Rng } from '../../support/rng.js';
import { SeededTester } from './seeded-tester.js';

export class DetectionPostprocessTester extends SeededTester {
  private n = 200;
  private numClasses = 4;
  private background = true;
  private maxDetections = 10;
  private perDetection = 1;
  private perClass = 100;
  private regular = false;
  private threshold = 0.3;
  private iou = 0.6;
  private levels = 256;
  private distinctPerBox = false;
  private zeroArea = 0;

  boxes(n: number): this { this.n = n; return this; }
  classes(n: number, background = true): this { this.numClasses = n; this.background = background; return this; }
  detections(max: number, classesPerDetection = 1): this { this.maxDetections = max; this.perDetection = classesPerDetection; return this; }
  regularNms(detectionsPerClass: number): this { this.regular = true; this.perClass = detectionsPerClass; return this; }
  thresholds(score: number, iou: number): this { this.threshold = score; this.iou = iou; return this; }
  /** How many distinct score bytes are drawn from: few levels, many ties. */
  scoreLevels(n: number): this { this.levels = n; return this; }
  /** Every score byte distinct within the whole tensor's use (the orders TFLite leaves to its C++ library). */
  distinctScores(): this { this.distinctPerBox = true; return this; }
  /** The share of anchors with zero height or width: boxes without area. */
  zeroAreaShare(share: number): this { this.zeroArea = share; return this; }

  protected settings(): Record<string, unknown> {
    return {
      boxes: this.n, classes: this.numClasses, background: this.background, maxDetections: this.maxDetections,
      perDetection: this.perDetection, regular: this.regular, perClass: this.perClass, threshold: this.threshold,
      iou: this.iou, levels: this.levels, distinct: this.distinctPerBox, zeroArea: this.zeroArea,
    };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const C = this.numClasses + (this.background ? 1 : 0);
    const anchors = new Float32Array(this.n * 4);
    for (let b = 0; b < this.n; b++) {
      const flat = rng.float() < this.zeroArea;
      anchors.set([rng.float(), rng.float(), flat ? 0 : rng.logUniform(0.05, 0.6), rng.logUniform(0.05, 0.6)], 4 * b);
    }
    const p: DetectionPostprocessParams = {
      boxes: this.n, boxCoordinates: 4, classesWithBackground: C, numClasses: this.numClasses,
      boxScale: rng.logUniform(0.02, 0.1), boxZeroPoint: rng.int(100, 150),
      scoreScale: 1 / 256, scoreZeroPoint: 0, anchors,
      yScale: 10, xScale: 10, hScale: 5, wScale: 5,
      maxDetections: this.maxDetections, maxClassesPerDetection: this.perDetection, detectionsPerClass: this.perClass,
      useRegularNms: this.regular, scoreThreshold: this.threshold, iouThreshold: this.iou,
    };
    const encodings = rng.bytes(this.n * 4);
    const scores = new Uint8Array(this.n * C);
    if (this.distinctPerBox) {
      // A random permutation of distinct bytes (C * boxes <= 256) or of distinct levels per row.
      const pool = Array.from({ length: 256 }, (_, i) => i);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      if (this.n * C > 256) throw new Error('distinctScores needs boxes x classes <= 256');
      scores.set(pool.slice(0, this.n * C));
    } else {
      const levels = Array.from({ length: this.levels }, () => rng.int(0, 255));
      for (let i = 0; i < scores.length; i++) scores[i] = levels[rng.int(0, this.levels - 1)];
    }
    const expected = detectionPostprocess(p, encodings, scores);
    const detections = this.maxDetections * this.perDetection;
    const out: DetectionOutputs = {
      boxes: new Float32Array(detections * 4).fill(NaN), classes: new Float32Array(detections).fill(NaN),
      scores: new Float32Array(detections).fill(NaN), count: new Float32Array(1).fill(NaN),
    };
    const kernel = kernels.detectionPostprocess(p);
    const c = this.caseFor(kernels.name, 'detectionPostprocess', seed);
    // Twice: nothing may carry over from one run to the next.
    for (let run = 0; run < 2; run++) {
      kernel.run(encodings, scores, out);
      if (out.count[0] !== expected.count) throw new Error(`${describeCase(c)}: ${out.count[0]} detections, expected ${expected.count}`);
      expectSameFloats({ ...c, op: 'detectionPostprocess classes' }, out.classes, expected.classes);
      expectSameFloats({ ...c, op: 'detectionPostprocess scores' }, out.scores, expected.scores);
      expectSameFloats({ ...c, op: 'detectionPostprocess boxes' }, out.boxes, expected.boxes);
    }
    this.lastCount = expected.count;
  }

  /** The detections of the last test(), for cases that must produce some or none. */
  lastCount = -1;
}
