// TFLite_Detection_PostProcess as TensorFlow Lite computes it (ARITHMETIC.md): the
// quantized inputs are dequantized in float32, the center-size encodings are decoded
// against the anchors in double and stored as float32, and non-maximum suppression runs
// in float32. The order in which equal scores are kept is TFLite's: candidates are sorted
// by a stable sort (equal scores keep the lower box first), a single best class is the
// first largest, several best classes come from the heap-based partial sort of the C++
// library TFLite's wasm build uses, and the regular NMS merges each class's boxes into
// its running list ahead of older ones of the same score.

import type { DetectionOutputs, DetectionPostprocessKernel, DetectionPostprocessParams } from '../kernel-set.js';
import * as v from './validate.js';

const OP = 'detectionPostprocess';
const f = Math.fround;

export interface DetectionSizes {
  boxEncodingsSize: number;
  scoresSize: number;
  /** Entries of the classes and scores outputs (the boxes output holds 4 per entry). */
  detections: number;
}

function finite(name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${OP}: ${name} must be a finite number, got ${String(x)}`);
  return x;
}

export function validateDetectionPostprocess(p: DetectionPostprocessParams): DetectionSizes {
  v.paramsObject(OP, p);
  const boxes = v.positiveInt(OP, 'boxes', p.boxes);
  const coordinates = v.positiveInt(OP, 'boxCoordinates', p.boxCoordinates);
  if (coordinates < 4) throw new RangeError(`${OP}: boxCoordinates must be at least 4, got ${coordinates}`);
  const classes = v.positiveInt(OP, 'classesWithBackground', p.classesWithBackground);
  const numClasses = v.positiveInt(OP, 'numClasses', p.numClasses);
  if (classes !== numClasses && classes !== numClasses + 1) {
    throw new RangeError(`${OP}: classesWithBackground (${classes}) must be numClasses (${numClasses}) or one more`);
  }
  v.finitePositive(OP, 'boxScale', p.boxScale);
  v.uint8Value(OP, 'boxZeroPoint', p.boxZeroPoint);
  v.finitePositive(OP, 'scoreScale', p.scoreScale);
  v.uint8Value(OP, 'scoreZeroPoint', p.scoreZeroPoint);
  if (!(p.anchors instanceof Float32Array)) throw new TypeError(`${OP}: anchors must be a Float32Array`);
  if (p.anchors.length !== boxes * 4) throw new RangeError(`${OP}: anchors must hold ${boxes * 4} values (4 per box), got ${p.anchors.length}`);
  for (const name of ['yScale', 'xScale', 'hScale', 'wScale'] as const) v.finitePositive(OP, name, p[name]);
  const maxDetections = v.positiveInt(OP, 'maxDetections', p.maxDetections);
  const perDetection = v.positiveInt(OP, 'maxClassesPerDetection', p.maxClassesPerDetection);
  v.positiveInt(OP, 'detectionsPerClass', p.detectionsPerClass);
  if (typeof p.useRegularNms !== 'boolean') throw new TypeError(`${OP}: useRegularNms must be a boolean`);
  finite('scoreThreshold', p.scoreThreshold);
  const iou = finite('iouThreshold', p.iouThreshold);
  if (!(iou > 0 && iou <= 1)) throw new RangeError(`${OP}: iouThreshold must be in (0, 1], got ${iou}`);
  return {
    boxEncodingsSize: v.elementCount(OP, 'box encodings', boxes, coordinates),
    scoresSize: v.elementCount(OP, 'scores', boxes, classes),
    detections: v.elementCount(OP, 'detections', maxDetections, perDetection),
  };
}

/** Indices of values[0..n) in decreasing order of value, equal values in index order (a stable sort). */
function decreasingArgSort(values: ArrayLike<number>, indices: number[]): number[] {
  return indices.sort((a, b) => (values[a] > values[b] ? -1 : values[a] < values[b] ? 1 : 0));
}

/** The first largest of values[from..from+n). */
function argMax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[from + i] > values[from + best]) best = i;
  return best;
}

/**
 * indices[0..k) = the k largest of values[from..from+n) in decreasing order, by the
 * heap-based partial sort of libc++ (make_heap on the first k, sift each later one in,
 * then sort_heap), so that equal values come out in the order TFLite's build gives them.
 * With k = 1 TFLite takes the first largest instead.
 */
function decreasingPartialArgSort(values: ArrayLike<number>, from: number, n: number, k: number, indices: Int32Array): void {
  if (k === 1) {
    indices[0] = argMax(values, from, n);
    return;
  }
  for (let i = 0; i < n; i++) indices[i] = i;
  if (k === 0) return;
  // comp(a, b): a belongs before b. The heap keeps at its top the element that belongs last.
  const comp = (a: number, b: number): boolean => values[from + a] > values[from + b];
  const siftDown = (len: number, start: number): void => {
    let child = start;
    if (len < 2 || ((len - 2) >> 1) < child) return;
    child = 2 * child + 1;
    if (child + 1 < len && comp(indices[child], indices[child + 1])) child++;
    if (comp(indices[child], indices[start])) return;
    const top = indices[start];
    let hole = start;
    do {
      indices[hole] = indices[child];
      hole = child;
      if (((len - 2) >> 1) < child) break;
      child = 2 * child + 1;
      if (child + 1 < len && comp(indices[child], indices[child + 1])) child++;
    } while (!comp(indices[child], top));
    indices[hole] = top;
  };
  if (k > 1) for (let start = (k - 2) >> 1; start >= 0; start--) siftDown(k, start);
  for (let i = k; i < n; i++) {
    if (comp(indices[i], indices[0])) {
      const t = indices[i];
      indices[i] = indices[0];
      indices[0] = t;
      siftDown(k, 0);
    }
  }
  for (let len = k; len > 1; len--) {
    const t = indices[0];
    indices[0] = indices[len - 1];
    indices[len - 1] = t;
    siftDown(len - 1, 0);
  }
}

/** TFLite's intersection over union of two decoded boxes: 0 when either has no area. */
const max = (x: number, y: number): number => (x < y ? y : x);
const min = (x: number, y: number): number => (y < x ? y : x);

function intersectionOverUnion(b: Float32Array, i: number, j: number): number {
  const iy0 = b[4 * i], ix0 = b[4 * i + 1], iy1 = b[4 * i + 2], ix1 = b[4 * i + 3];
  const jy0 = b[4 * j], jx0 = b[4 * j + 1], jy1 = b[4 * j + 2], jx1 = b[4 * j + 3];
  const areaI = f(f(iy1 - iy0) * f(ix1 - ix0));
  const areaJ = f(f(jy1 - jy0) * f(jx1 - jx0));
  if (areaI <= 0 || areaJ <= 0) return 0;
  const h = max(f(min(iy1, jy1) - max(iy0, jy0)), 0);
  const w = max(f(min(ix1, jx1) - max(ix0, jx0)), 0);
  const intersection = f(h * w);
  return f(intersection / f(f(areaI + areaJ) - intersection));
}

export function createDetectionPostprocess(p: DetectionPostprocessParams): DetectionPostprocessKernel {
  const sizes = validateDetectionPostprocess(p);
  const { boxes: n, boxCoordinates, classesWithBackground: C, numClasses, maxDetections, maxClassesPerDetection } = p;
  const labelOffset = C - numClasses;
  const anchors = Float32Array.from(p.anchors);
  const [yScale, xScale, hScale, wScale] = [f(p.yScale), f(p.xScale), f(p.hScale), f(p.wScale)];
  const scoreThreshold = f(p.scoreThreshold);
  const iouThreshold = f(p.iouThreshold);
  const boxValue = new Float32Array(256);
  const scoreValue = new Float32Array(256);
  for (let q = 0; q < 256; q++) {
    boxValue[q] = (q - p.boxZeroPoint) * f(p.boxScale);
    scoreValue[q] = (q - p.scoreZeroPoint) * f(p.scoreScale);
  }
  const decoded = new Float32Array(n * 4);
  // Dequantizing is strictly increasing in the byte (scale > 0), so classes are ranked on
  // the bytes themselves and only the scores that are kept are dequantized.
  let scores = new Uint8Array(0);
  const perBox = Math.min(maxClassesPerDetection, numClasses);
  const classOrder = new Int32Array(n * perBox);
  const best = new Float32Array(n);
  const row = new Int32Array(numClasses);

  function decode(encodings: Uint8Array): void {
    for (let i = 0; i < n; i++) {
      const e = i * boxCoordinates;
      const [ay, ax, ah, aw] = [anchors[4 * i], anchors[4 * i + 1], anchors[4 * i + 2], anchors[4 * i + 3]];
      const yCenter = f(boxValue[encodings[e]] / yScale * ah + ay);
      const xCenter = f(boxValue[encodings[e + 1]] / xScale * aw + ax);
      const halfH = f(0.5 * Math.exp(boxValue[encodings[e + 2]] / hScale) * ah);
      const halfW = f(0.5 * Math.exp(boxValue[encodings[e + 3]] / wScale) * aw);
      decoded[4 * i] = yCenter - halfH;
      decoded[4 * i + 1] = xCenter - halfW;
      decoded[4 * i + 2] = yCenter + halfH;
      decoded[4 * i + 3] = xCenter + halfW;
    }
  }

  /** Boxes kept by NMS over one score per box, best first, at most `limit`. */
  function suppress(boxScores: Float32Array, limit: number): number[] {
    const kept: number[] = [];
    for (let i = 0; i < n; i++) if (boxScores[i] >= scoreThreshold) kept.push(i);
    const order = decreasingArgSort(boxScores, kept);
    const active = new Uint8Array(order.length).fill(1);
    let activeCount = order.length;
    const outputSize = Math.min(order.length, limit);
    const selected: number[] = [];
    for (let i = 0; i < order.length; i++) {
      if (activeCount === 0 || selected.length >= outputSize) break;
      if (!active[i]) continue;
      selected.push(order[i]);
      active[i] = 0;
      activeCount--;
      for (let j = i + 1; j < order.length; j++) {
        if (active[j] && intersectionOverUnion(decoded, order[i], order[j]) > iouThreshold) {
          active[j] = 0;
          activeCount--;
        }
      }
    }
    return selected;
  }

  function setBox(out: DetectionOutputs, at: number, box: number): void {
    out.boxes.set(decoded.subarray(4 * box, 4 * box + 4), 4 * at);
  }

  function fast(out: DetectionOutputs): void {
    for (let b = 0; b < n; b++) {
      const from = b * C + labelOffset;
      decreasingPartialArgSort(scores, from, numClasses, perBox, row);
      classOrder.set(row.subarray(0, perBox), b * perBox);
      best[b] = scoreValue[scores[from + row[0]]];
    }
    const selected = suppress(best, maxDetections);
    selected.forEach((b, k) => {
      for (let c = 0; c < perBox; c++) {
        const at = maxClassesPerDetection * k + c;
        const cls = classOrder[b * perBox + c];
        setBox(out, at, b);
        out.classes[at] = cls;
        out.scores[at] = scoreValue[scores[b * C + labelOffset + cls]];
      }
    });
    out.count[0] = selected.length;
  }

  /**
   * NMS per class, each class's kept boxes merged into the running list best first, a new
   * class's entries before older ones of the same score (TFLite merges with >=), the list
   * cut to max_detections after each class.
   */
  function regular(out: DetectionOutputs): void {
    const perClass = Math.min(p.detectionsPerClass, maxDetections);
    const classScores = new Float32Array(n);
    let kept: { entry: number; score: number }[] = [];
    for (let c = 0; c < numClasses; c++) {
      for (let b = 0; b < n; b++) classScores[b] = scoreValue[scores[b * C + c + labelOffset]];
      const fresh = suppress(classScores, perClass).map((b) => ({ entry: b * C + c + labelOffset, score: classScores[b] }));
      if (fresh.length === 0) continue;
      const merged: typeof kept = [];
      let i = 0;
      let j = 0;
      while (merged.length < maxDetections && (i < kept.length || j < fresh.length)) {
        if (j < fresh.length && (i >= kept.length || fresh[j].score >= kept[i].score)) merged.push(fresh[j++]);
        else merged.push(kept[i++]);
      }
      kept = merged;
    }
    kept.forEach(({ entry, score }, r) => {
      const box = Math.floor(entry / C);
      setBox(out, r, box);
      out.classes[r] = entry - box * C - labelOffset;
      out.scores[r] = score;
    });
    out.count[0] = kept.length;
  }

  return {
    run(boxEncodings: Uint8Array, classPredictions: Uint8Array, out: DetectionOutputs): void {
      v.buffer(OP, 'box encodings', boxEncodings, Uint8Array, sizes.boxEncodingsSize);
      v.buffer(OP, 'scores', classPredictions, Uint8Array, sizes.scoresSize);
      v.paramsObject(OP, out);
      v.buffer(OP, 'boxes output', out.boxes, Float32Array, sizes.detections * 4);
      v.buffer(OP, 'classes output', out.classes, Float32Array, sizes.detections);
      v.buffer(OP, 'scores output', out.scores, Float32Array, sizes.detections);
      v.buffer(OP, 'count output', out.count, Float32Array, 1);
      decode(boxEncodings);
      scores = classPredictions;
      // TFLite leaves the entries past the count as they were; here they are always zero.
      out.boxes.fill(0, 0, sizes.detections * 4);
      out.classes.fill(0, 0, sizes.detections);
      out.scores.fill(0, 0, sizes.detections);
      if (p.useRegularNms) regular(out);
      else fast(out);
    },
  };
}
