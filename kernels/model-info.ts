import { describeStep } from './graph/describe.js';
import type { Runtime } from './runtime.js';

/** A tensor at the model's boundary, as callers need it to feed and read the model. */
export interface EndpointInfo {
  name: string;
  shape: number[];
  type: string;
  /** null for float32. */
  scale: number | null;
  zeroPoint: number | null;
}

export interface StepInfo {
  /** The model operator's index. */
  index: number;
  op: string;
  shape: string;
  macs: number;
}

/** What an object detector (a model ending in TFLite_Detection_PostProcess) reports, and where. */
export interface DetectionInfo {
  /** The classes it names (num_classes, background excluded): class k is the k-th real class. */
  classes: number;
  maxDetections: number;
  anchors: number;
  /** Positions in ModelInfo.outputs of the postprocess's boxes, classes, scores and count. */
  outputs: { boxes: number; classes: number; scores: number; count: number };
}

/** What a loaded model is, in plain data that can cross a thread boundary. */
export interface ModelInfo {
  file: string;
  engine: string;
  fallbackReason: string | null;
  input: EndpointInfo;
  /** The first output (a classifier's only one). */
  output: EndpointInfo;
  /** Every output, in the model's order. */
  outputs: EndpointInfo[];
  labels: string[] | null;
  /** Null for a model that is not a detector (a classifier). */
  detection: DetectionInfo | null;
  warnings: string[];
  arenaBytes: number;
  steps: StepInfo[];
}

export function describeRuntime(runtime: Runtime): ModelInfo {
  const { plan } = runtime;
  const endpoint = (e: typeof plan.input): EndpointInfo => {
    const q = e.tensor.quantization;
    const quantized = e.tensor.type !== 'float32' && q !== null && q.scale.length > 0;
    return {
      name: e.tensor.name,
      shape: e.shape,
      type: e.tensor.type,
      scale: quantized ? q.scale[0] : null,
      zeroPoint: quantized ? (q.zeroPoint[0] ?? 0) : null,
    };
  };
  return {
    file: plan.model.file,
    engine: runtime.engine,
    fallbackReason: runtime.fallbackReason,
    input: endpoint(plan.input),
    output: endpoint(plan.output),
    outputs: plan.outputs.map(endpoint),
    labels: plan.model.labels,
    detection: detectionInfo(runtime),
    warnings: plan.model.warnings,
    arenaBytes: plan.arenaBytes,
    steps: plan.steps.map((s) => ({ index: s.operator.index, op: s.operator.name, shape: describeStep(s), macs: s.macs })),
  };
}

/** A detector's postprocess, when all four of its outputs are graph outputs. */
export function detectionInfo({ plan }: Pick<Runtime, 'plan'>): DetectionInfo | null {
  const step = plan.steps.find((s) => s.kind === 'detectionPostprocess');
  if (!step || step.kind !== 'detectionPostprocess') return null;
  const positions = step.outputs.map((t) => plan.outputs.findIndex((o) => o.slot === plan.slots[t]));
  if (positions.some((p) => p < 0)) return null;
  const [boxes, classes, scores, count] = positions;
  const p = step.params;
  return { classes: p.numClasses, maxDetections: p.maxDetections * p.maxClassesPerDetection, anchors: p.boxes, outputs: { boxes, classes, scores, count } };
}

/** The output's real values: dequantized with the output's scale and zero point. */
export function dequantizeOutput(info: ModelInfo, raw: ArrayLike<number>): Float32Array {
  const { scale, zeroPoint } = info.output;
  if (scale === null || zeroPoint === null) return Float32Array.from(raw);
  return Float32Array.from(raw, (v) => scale * (v - zeroPoint));
}
