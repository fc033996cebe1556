import { readDetectionOptions, type DetectionOptions } from './tflite/detection-options.js';
import type { Model, Operator, Tensor } from './tflite/model-types.js';

export interface LayerSummary {
  index: number;
  op: string;
  inputShapes: number[][];
  outputShape: number[];
  kernel: [number, number] | null;
  stride: [number, number] | null;
  padding: string | null;
  activation: string | null;
  /** e.g. 'uint8 per-tensor' or 'int8 per-channel (32)'; the weights' for layers with weights. */
  quantization: string;
  params: number;
  macs: number;
}

/** A depthwise layer feeding a 1x1 convolution, and what one standard k x k convolution would cost instead. */
export interface SeparablePair {
  depthwise: number;
  pointwise: number;
  inputC: number;
  outputC: number;
  kernel: number;
  outputH: number;
  outputW: number;
  params: number;
  standardParams: number;
  macs: number;
  standardMacs: number;
  /** standardMacs / macs; null for a pair that does no work (tensors with no elements), where it would be 0/0. */
  saving: number | null;
}

/** A detector's TFLite_Detection_PostProcess: its anchors and its options as the file gives them. */
export interface DetectionSummary {
  /** The operator's index. */
  index: number;
  /** Anchors (one per box the head predicts), from the anchors tensor's first dimension. */
  anchors: number | null;
  /** The options, or null when they cannot be read (then `problem` says why). */
  options: DetectionOptions | null;
  problem: string | null;
}

export interface ModelSummary {
  layers: LayerSummary[];
  pairs: SeparablePair[];
  detection: DetectionSummary[];
  totals: { params: number; macs: number; standardConvParams: number; standardConvMacs: number };
}

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function quantization(t: Tensor | undefined): string {
  if (!t) return '';
  const q = t.quantization;
  if (!q || q.scale.length === 0) return t.type;
  return q.scale.length > 1 ? `${t.type} per-channel (${q.scale.length})` : `${t.type} per-tensor`;
}

function layerMacs(op: Operator, tensors: Tensor[]): number {
  const w = tensors[op.inputs[1]];
  const out = tensors[op.outputs[0]];
  if (!w || !out) return 0;
  switch (op.name) {
    case 'CONV_2D': // out pixels x out channels x (kh kw in)
      return count(out.shape.slice(0, 3)) * count(w.shape);
    case 'DEPTHWISE_CONV_2D':
      return count(out.shape.slice(0, 3)) * count(w.shape);
    case 'FULLY_CONNECTED':
      return (count(out.shape) / (w.shape[0] || 1)) * count(w.shape);
    case 'MUL': // one multiply per output element (squeeze-and-excite's gate)
      return count(out.shape);
    default:
      return 0;
  }
}

function summarizeLayer(model: Model, op: Operator): LayerSummary {
  const tensors = model.tensors;
  const activations = op.inputs.filter((i) => i >= 0 && !tensors[i]?.data);
  const constants = op.inputs.filter((i) => i >= 0 && tensors[i]?.data);
  const o = op.options;
  const weights = op.name === 'CONV_2D' || op.name === 'DEPTHWISE_CONV_2D' || op.name === 'FULLY_CONNECTED' ? tensors[op.inputs[1]] : undefined;
  const windowed = o.kind === 'conv2d' || o.kind === 'depthwise' || o.kind === 'pool2d';
  let kernel: [number, number] | null = null;
  if (o.kind === 'pool2d') kernel = [o.filterHeight, o.filterWidth];
  else if (windowed && weights) kernel = [weights.shape[1], weights.shape[2]];
  return {
    index: op.index,
    op: op.name,
    inputShapes: activations.map((i) => tensors[i].shape),
    outputShape: tensors[op.outputs[0]]?.shape ?? [],
    kernel,
    stride: windowed ? [o.strideH, o.strideW] : null,
    padding: windowed ? o.padding : null,
    activation: 'activation' in o ? o.activation : null,
    quantization: quantization(weights ?? tensors[op.outputs[0]]),
    params: weights ? constants.reduce((a, i) => a + count(tensors[i].shape), 0) : 0,
    macs: layerMacs(op, tensors),
  };
}

/** Depthwise layers whose only consumer is a 1x1 convolution reading their output. */
function separablePairs(model: Model, layers: LayerSummary[]): SeparablePair[] {
  const consumers = new Map<number, Operator[]>();
  for (const op of model.operators) {
    for (const i of op.inputs) if (i >= 0) consumers.set(i, [...(consumers.get(i) ?? []), op]);
  }
  const pairs: SeparablePair[] = [];
  for (const dw of model.operators) {
    if (dw.name !== 'DEPTHWISE_CONV_2D') continue;
    const next = consumers.get(dw.outputs[0]) ?? [];
    const pw = next[0];
    if (next.length !== 1 || pw.name !== 'CONV_2D' || pw.inputs[0] !== dw.outputs[0]) continue;
    const pwWeights = model.tensors[pw.inputs[1]];
    const dwWeights = model.tensors[dw.inputs[1]];
    if (pwWeights.shape[1] !== 1 || pwWeights.shape[2] !== 1) continue;
    const [, kH, kW] = dwWeights.shape;
    if (kH !== kW) continue;
    const inputC = model.tensors[dw.inputs[0]].shape[3];
    const outputC = pwWeights.shape[0];
    const [, outputH, outputW] = model.tensors[pw.outputs[0]].shape;
    const k = kH;
    const macs = layers[dw.index].macs + layers[pw.index].macs;
    const standardMacs = inputC * outputC * k * k * outputH * outputW;
    pairs.push({
      depthwise: dw.index,
      pointwise: pw.index,
      inputC,
      outputC,
      kernel: k,
      outputH,
      outputW,
      params: inputC * k * k + inputC * outputC,
      standardParams: inputC * outputC * k * k,
      macs,
      standardMacs,
      saving: macs > 0 ? standardMacs / macs : null,
    });
  }
  return pairs;
}

/**
 * Per-layer shapes, parameters and multiply-accumulates of a model, and the
 * depthwise-separable trade-off on its own layers: what each depthwise + pointwise pair
 * would cost as one standard convolution.
 */
export function summarizeModel(model: Model): ModelSummary {
  const layers = model.operators.map((op) => summarizeLayer(model, op));
  const pairs = separablePairs(model, layers);
  const params = layers.reduce((a, l) => a + l.params, 0);
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  const detection = model.operators
    .filter((op) => op.name === 'CUSTOM:TFLite_Detection_PostProcess')
    .map((op): DetectionSummary => {
      const anchors = model.tensors[op.inputs[2]]?.shape[0] ?? null;
      try {
        return { index: op.index, anchors, options: readDetectionOptions(op.customOptions), problem: null };
      } catch (err) {
        return { index: op.index, anchors, options: null, problem: (err as Error).message };
      }
    });
  return {
    layers,
    pairs,
    detection,
    totals: {
      params,
      macs,
      standardConvParams: params + pairs.reduce((a, p) => a + p.standardParams - p.params, 0),
      standardConvMacs: macs + pairs.reduce((a, p) => a + p.standardMacs - p.macs, 0),
    },
  };
}
