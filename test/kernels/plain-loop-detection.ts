// The detector head's operators written as plainly as possible, element by element, as
// the kernel suite's reference: no tables, no heaps, the NMS as "keep a candidate unless
// a box kept before it overlaps it too much". Float steps are rounded to float32 where
// TensorFlow Lite computes in float32.

import type { ConcatenationParams, DetectionPostprocessParams, LogisticParams } from '../../kernels/kernel-set.js';
import { f32 } from './plain-loop.js';

const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));
const clamp8 = (x: number): number => Math.min(255, Math.max(0, x));

/** Output element by output element: find the input it comes from, copy or requantize it. */
export function concatenation(p: ConcatenationParams, inputs: Uint8Array[]): Uint8Array {
  const axis = p.axisSizes.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(p.outer * axis * p.inner);
  for (let k = 0; k < p.outer; k++) {
    for (let a = 0; a < axis; a++) {
      let i = 0;
      let start = 0;
      while (a >= start + p.axisSizes[i]) start += p.axisSizes[i++];
      for (let j = 0; j < p.inner; j++) {
        const x = inputs[i][(k * p.axisSizes[i] + (a - start)) * p.inner + j];
        const same = p.inputZeroPoints[i] === p.outputZeroPoint && f32(p.inputScales[i]) === f32(p.outputScale);
        let y = x;
        if (!same) {
          const scale = f32(f32(p.inputScales[i]) * f32(1 / f32(p.outputScale)));
          const bias = f32(-p.inputZeroPoints[i] * scale);
          y = clamp8(roundHalfAway(f32(f32(x * scale) + bias)) + p.outputZeroPoint);
        }
        out[(k * axis + a) * p.inner + j] = y;
      }
    }
  }
  return out;
}

export function logistic(p: LogisticParams, input: Uint8Array): Uint8Array {
  return Uint8Array.from(input.subarray(0, p.size), (q) => {
    const x = f32(f32(p.inputScale) * (q - p.inputZeroPoint));
    const sigmoid = f32(1 / f32(1 + f32(Math.exp(-x))));
    return clamp8(roundHalfAway(f32(sigmoid * f32(1 / f32(p.outputScale)))) + p.outputZeroPoint);
  });
}

export interface Detections {
  boxes: Float32Array;
  classes: Float32Array;
  scores: Float32Array;
  count: number;
}

type Box = [number, number, number, number];

function decodeBox(p: DetectionPostprocessParams, encodings: Uint8Array, b: number): Box {
  const value = (c: number): number => f32((encodings[b * p.boxCoordinates + c] - p.boxZeroPoint) * f32(p.boxScale));
  const [ay, ax, ah, aw] = p.anchors.subarray(4 * b, 4 * b + 4);
  const yc = f32(value(0) / f32(p.yScale) * ah + ay);
  const xc = f32(value(1) / f32(p.xScale) * aw + ax);
  const hh = f32(0.5 * Math.exp(value(2) / f32(p.hScale)) * ah);
  const hw = f32(0.5 * Math.exp(value(3) / f32(p.wScale)) * aw);
  return [f32(yc - hh), f32(xc - hw), f32(yc + hh), f32(xc + hw)];
}

export function iou(a: Box, b: Box): number {
  const areaA = f32(f32(a[2] - a[0]) * f32(a[3] - a[1]));
  const areaB = f32(f32(b[2] - b[0]) * f32(b[3] - b[1]));
  if (areaA <= 0 || areaB <= 0) return 0;
  const h = f32(Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const w = f32(Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = f32(Math.max(h, 0) * Math.max(w, 0));
  return f32(inter / f32(f32(areaA + areaB) - inter));
}

/** Candidates at or above the threshold, best first, equal scores in box order; each kept unless a kept one overlaps it beyond the threshold. */
function nms(p: DetectionPostprocessParams, boxes: Box[], score: (b: number) => number, limit: number): number[] {
  const candidates = boxes.map((_, b) => b).filter((b) => score(b) >= f32(p.scoreThreshold));
  candidates.sort((a, b) => score(b) - score(a) || a - b);
  const kept: number[] = [];
  for (const b of candidates) {
    if (kept.length >= limit) break;
    if (kept.every((k) => !(iou(boxes[k], boxes[b]) > f32(p.iouThreshold)))) kept.push(b);
  }
  return kept;
}

/**
 * The postprocess. With several classes per detection, a box's classes are taken best
 * first with equal scores in class order; TFLite leaves that order to its C++ library's
 * partial sort, so tests that compare it with this reference use distinct scores. The
 * regular NMS ranks every class's kept boxes by score, equal scores of a later class
 * first (TFLite merges each class in ahead of equal older ones), within a class in NMS order.
 */
export function detectionPostprocess(p: DetectionPostprocessParams, encodings: Uint8Array, scoreBytes: Uint8Array): Detections {
  const n = p.boxes;
  const C = p.classesWithBackground;
  const offset = C - p.numClasses;
  const detections = p.maxDetections * p.maxClassesPerDetection;
  const out: Detections = {
    boxes: new Float32Array(detections * 4), classes: new Float32Array(detections), scores: new Float32Array(detections), count: 0,
  };
  const boxes = Array.from({ length: n }, (_, b) => decodeBox(p, encodings, b));
  const score = (b: number, c: number): number => f32((scoreBytes[b * C + offset + c] - p.scoreZeroPoint) * f32(p.scoreScale));
  const put = (at: number, b: number, c: number, s: number): void => {
    out.boxes.set(boxes[b], 4 * at);
    out.classes[at] = c;
    out.scores[at] = s;
  };
  if (!p.useRegularNms) {
    const perBox = Math.min(p.maxClassesPerDetection, p.numClasses);
    const ranked = (b: number): number[] => Array.from({ length: p.numClasses }, (_, c) => c)
      .sort((c, d) => score(b, d) - score(b, c) || c - d).slice(0, perBox);
    const kept = nms(p, boxes, (b) => score(b, ranked(b)[0]), p.maxDetections);
    kept.forEach((b, k) => ranked(b).forEach((c, j) => put(p.maxClassesPerDetection * k + j, b, c, score(b, c))));
    out.count = kept.length;
    return out;
  }
  const entries: { b: number; c: number; s: number; k: number }[] = [];
  for (let c = 0; c < p.numClasses; c++) {
    nms(p, boxes, (x) => score(x, c), p.detectionsPerClass).forEach((b, k) => entries.push({ b, c, s: score(b, c), k }));
  }
  entries.sort((x, y) => y.s - x.s || y.c - x.c || x.k - y.k);
  const top = entries.slice(0, p.maxDetections);
  top.forEach((e, k) => put(k, e.b, e.c, e.s));
  out.count = top.length;
  return out;
}
