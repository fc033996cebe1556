// The operators of an SSD detector's head: CONCATENATION of the per-feature-map
// predictions, LOGISTIC on the class scores, and TFLite_Detection_PostProcess.
import type { DetectionPostprocessParams } from '../../kernel-set.js';
import { readDetectionOptions, type DetectionOptions } from '../../tflite/detection-options.js';
import type { ConcatenationOptions, Tensor } from '../../tflite/model-types.js';
import { activationQuant, describeTensor } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import { elementCount, type LoweringContext } from './context.js';

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** CONCATENATION of quantized tensors along any axis (TFLite requantizes uint8 inputs; int8 ones must match the output). */
export function lowerConcatenation(ctx: LoweringContext): Lowered {
  const o = ctx.op.options as ConcatenationOptions;
  if (o.activation !== 'NONE') ctx.fail(`fused activation ${o.activation} is not supported on a quantized concatenation`);
  if (ctx.op.inputs.length < 1) ctx.fail('it has no inputs');
  const xs = ctx.op.inputs.map((_, i) => ctx.input(i, `input ${i}`));
  const y = ctx.output();
  const rank = y.shape.length;
  const axis = o.axis < 0 ? o.axis + rank : o.axis;
  if (!(axis >= 0 && axis < rank)) ctx.fail(`axis ${o.axis} is outside the output's ${rank} dimensions`);
  for (const x of xs) {
    if (x.data) ctx.fail(`constant input ${describeTensor(x)} is not supported`);
    if (x.shape.length !== rank || x.shape.some((d, k) => k !== axis && d !== y.shape[k])) {
      ctx.fail(`input ${describeTensor(x)} of shape [${x.shape}] does not fit output [${y.shape}] along axis ${axis}`);
    }
  }
  const axisSizes = xs.map((x) => x.shape[axis]);
  if (axisSizes.reduce((a, b) => a + b, 0) !== y.shape[axis]) ctx.fail(`inputs along axis ${axis} (${axisSizes.join(' + ')}) do not add up to the output's ${y.shape[axis]}`);
  const yq = activationQuant(ctx.model, y, 'output');
  const xq = xs.map((x, i) => activationQuant(ctx.model, x, `input ${i}`));
  for (const [i, q] of xq.entries()) {
    if (q.type !== yq.type) ctx.fail(`input ${i} is ${q.type} and the output ${yq.type}`);
    if (q.type === 'int8' && (q.scale !== yq.scale || q.zeroPoint !== yq.zeroPoint)) {
      ctx.fail(`int8 input ${i} is quantized unlike the output (TFLite requantizes only uint8 inputs)`);
    }
  }
  if (axisSizes.some((d) => d < 1) || elementCount(y) < 1) ctx.fail(`an empty tensor [${y.shape}] is not supported`);
  return ctx.step(xs, y, {
    kind: 'concatenation',
    params: {
      outer: product(y.shape.slice(0, axis)),
      inner: product(y.shape.slice(axis + 1)),
      axisSizes,
      inputScales: xq.map((q) => q.scale),
      inputZeroPoints: xq.map((q) => q.zeroPoint),
      outputScale: yq.scale,
      outputZeroPoint: yq.zeroPoint,
    },
  });
}

/** LOGISTIC, whose output TFLite requires at scale 1/256 with the type's lowest value as zero point. */
export function lowerLogistic(ctx: LoweringContext): Lowered {
  const x = ctx.input(0, 'input');
  const y = ctx.output();
  const size = ctx.sameSize(x, y);
  const [xq, yq] = ctx.quant(x, y);
  if (xq.type !== yq.type) ctx.fail(`input is ${xq.type} and output ${yq.type}`);
  if (yq.scale !== 1 / 256 || yq.zeroPoint !== 0) {
    const lowest = yq.type === 'int8' ? -128 : 0;
    ctx.fail(`output scale ${yq.scale} and zero point ${yq.zeroPoint - (yq.type === 'int8' ? 128 : 0)}; TFLite requires 1/256 and ${lowest}`);
  }
  return ctx.step([x], y, {
    kind: 'logistic',
    params: { size, inputScale: xq.scale, inputZeroPoint: xq.zeroPoint, outputScale: yq.scale, outputZeroPoint: yq.zeroPoint },
  });
}

/** Options that TFLite would run with but that make no detector: refused at load. */
function checkOptions(ctx: LoweringContext, o: DetectionOptions): void {
  const positive: [string, number][] = [
    ['max_detections', o.maxDetections], ['max_classes_per_detection', o.maxClassesPerDetection],
    ['detections_per_class', o.detectionsPerClass], ['num_classes', o.numClasses],
  ];
  for (const [name, value] of positive) if (!(value >= 1 && value <= 1 << 20)) ctx.fail(`${name} = ${value}; it must be in 1..2^20`);
  for (const [name, value] of [['y_scale', o.yScale], ['x_scale', o.xScale], ['h_scale', o.hScale], ['w_scale', o.wScale]] as const) {
    if (!(value > 0 && Number.isFinite(value))) ctx.fail(`${name} = ${value}; it must be finite and > 0`);
  }
  if (!(o.nmsIouThreshold > 0 && o.nmsIouThreshold <= 1)) ctx.fail(`nms_iou_threshold = ${o.nmsIouThreshold}; it must be in (0, 1]`);
  if (!Number.isFinite(o.nmsScoreThreshold)) ctx.fail(`nms_score_threshold = ${o.nmsScoreThreshold} is not finite`);
}

function anchorValues(ctx: LoweringContext, anchors: Tensor, boxes: number): Float32Array {
  if (!anchors.data) ctx.fail(`anchors ${describeTensor(anchors)} are not constant`);
  if (anchors.shape.length !== 2 || anchors.shape[0] !== boxes || anchors.shape[1] !== 4) {
    ctx.fail(`anchors ${describeTensor(anchors)} have shape [${anchors.shape}]; expected [${boxes}, 4] (one y, x, h, w per box)`);
  }
  if (anchors.type !== 'uint8') ctx.fail(`anchors ${describeTensor(anchors)} have type ${anchors.type}; uint8 box encodings need uint8 anchors`);
  const q = activationQuant(ctx.model, anchors, 'anchors');
  if (anchors.data.length < boxes * 4) ctx.fail(`anchors ${describeTensor(anchors)} hold ${anchors.data.length} bytes; expected ${boxes * 4}`);
  const values = new Float32Array(boxes * 4);
  for (let i = 0; i < values.length; i++) values[i] = (anchors.data[i] - q.zeroPoint) * q.scale;
  for (let b = 0; b < boxes; b++) {
    if (values[4 * b + 2] < 0 || values[4 * b + 3] < 0) ctx.fail(`anchor ${b} has a negative height or width`);
  }
  return values;
}

/** TFLite_Detection_PostProcess: uint8 box encodings and scores, constant anchors, four float32 outputs. */
export function lowerDetectionPostprocess(ctx: LoweringContext): Lowered {
  let o: DetectionOptions;
  try {
    o = readDetectionOptions(ctx.op.customOptions);
  } catch (e) {
    ctx.fail((e as Error).message);
  }
  checkOptions(ctx, o);
  if (ctx.op.inputs.length !== 3) ctx.fail(`it has ${ctx.op.inputs.length} inputs; expected box encodings, scores and anchors`);
  if (ctx.op.outputs.length !== 4) ctx.fail(`it has ${ctx.op.outputs.length} outputs; expected boxes, classes, scores and count`);
  const encodings = ctx.input(0, 'box encodings');
  const scores = ctx.input(1, 'scores');
  const anchors = ctx.input(2, 'anchors');
  for (const [t, role] of [[encodings, 'box encodings'], [scores, 'scores']] as const) {
    if (t.type !== 'uint8') ctx.fail(`${role} ${describeTensor(t)} have type ${t.type}; only uint8 is supported`);
    if (t.data) ctx.fail(`${role} ${describeTensor(t)} are constant`);
    if (t.shape.length !== 3 || t.shape[0] !== 1) ctx.fail(`${role} ${describeTensor(t)} have shape [${t.shape}]; expected [1, boxes, n]`);
  }
  const [, boxes, coordinates] = encodings.shape;
  const [, scoreBoxes, classes] = scores.shape;
  if (boxes < 1 || coordinates < 4) ctx.fail(`box encodings have shape [${encodings.shape}]; expected [1, boxes >= 1, 4 or more]`);
  if (scoreBoxes !== boxes) ctx.fail(`scores are for ${scoreBoxes} boxes and the box encodings for ${boxes}`);
  if (classes !== o.numClasses && classes !== o.numClasses + 1) {
    ctx.fail(`scores have ${classes} classes; num_classes = ${o.numClasses} needs ${o.numClasses} or ${o.numClasses + 1} (with background)`);
  }
  const eq = activationQuant(ctx.model, encodings, 'box encodings');
  const sq = activationQuant(ctx.model, scores, 'scores');
  const detections = o.maxDetections * o.maxClassesPerDetection;
  const shapes = [[1, detections, 4], [1, detections], [1, detections], [1]];
  const outputs = shapes.map((shape, k): [Tensor, number[]] => {
    const t = ctx.output(k);
    if (t.type !== 'float32') ctx.fail(`output ${k} ${describeTensor(t)} has type ${t.type}; expected float32`);
    if (t.shape.length > 0 && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      ctx.fail(`output ${k} ${describeTensor(t)} has shape [${t.shape}]; the options give [${shape}]`);
    }
    return [t, shape];
  });
  const params: DetectionPostprocessParams = {
    boxes, boxCoordinates: coordinates, classesWithBackground: classes, numClasses: o.numClasses,
    boxScale: eq.scale, boxZeroPoint: eq.zeroPoint, scoreScale: sq.scale, scoreZeroPoint: sq.zeroPoint,
    anchors: anchorValues(ctx, anchors, boxes),
    yScale: o.yScale, xScale: o.xScale, hScale: o.hScale, wScale: o.wScale,
    maxDetections: o.maxDetections, maxClassesPerDetection: o.maxClassesPerDetection,
    detectionsPerClass: o.detectionsPerClass, useRegularNms: o.useRegularNms,
    scoreThreshold: o.nmsScoreThreshold, iouThreshold: o.nmsIouThreshold,
  };
  return ctx.multiStep([encodings, scores], outputs, { kind: 'detectionPostprocess', params });
}
