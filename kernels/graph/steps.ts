import type {
  AddParams, AveragePoolParams, ConvParams, DepthwiseParams, DequantizeParams, GemmParams, MeanParams,
  PadParams, QuantizeParams, RequantizeParams, SoftmaxParams,
} from '../kernel-set.js';
import type { ConcatenationParams, DetectionPostprocessParams, LogisticParams } from '../kernel-set.js';
import type { ArgMaxParams, LookupParams, MulParams, ResizeParams, SliceParams } from '../kernel-set.js';
import type { Operator } from '../tflite/model-types.js';

/** What one model operator becomes: a kernel call over activation tensors. */
interface StepBase {
  operator: Operator;
  /** Activation tensor indices read, in the kernel's argument order. */
  inputs: number[];
  output: number;
  /** Every tensor written, `output` first: more than one only for the detection postprocess. */
  outputs: number[];
  /** The shape of each of `outputs`: the model's, or the one the operator gives a tensor the model leaves unshaped. */
  outputShapes: number[][];
  /** Multiply-accumulates per run (convolutions and fully connected; 0 elsewhere), for GMAC/s. */
  macs: number;
}

/** A step's kernel and its arguments: what differs between operators. */
export type StepKernel =
  | { kind: 'conv'; params: ConvParams; weights: Uint8Array }
  | { kind: 'depthwise'; params: DepthwiseParams; weights: Uint8Array }
  | { kind: 'gemm'; params: GemmParams; weights: Uint8Array }
  | { kind: 'averagePool'; params: AveragePoolParams }
  | { kind: 'mean'; params: MeanParams }
  | { kind: 'add'; params: AddParams }
  | { kind: 'softmax'; params: SoftmaxParams }
  | { kind: 'requantize'; params: RequantizeParams }
  | { kind: 'pad'; params: PadParams }
  | { kind: 'quantize'; params: QuantizeParams }
  | { kind: 'dequantize'; params: DequantizeParams }
  | { kind: 'concatenation'; params: ConcatenationParams }
  | { kind: 'logistic'; params: LogisticParams }
  | { kind: 'detectionPostprocess'; params: DetectionPostprocessParams }
  | { kind: 'lookup'; params: LookupParams }
  | { kind: 'mul'; params: MulParams }
  | { kind: 'resizeNearest'; params: ResizeParams }
  | { kind: 'resizeBilinear'; params: ResizeParams }
  | { kind: 'slice'; params: SliceParams }
  | { kind: 'argMax'; params: ArgMaxParams };

export type Step = StepBase & StepKernel;

/** An operator that only reinterprets its input's shape: its output shares the input's bytes. */
export interface Alias {
  operator: Operator;
  input: number;
  output: number;
}

/**
 * Most operators lower to one step; SPLIT, whose outputs are independent strided copies, to
 * one step per output. A kernel that computes several outputs together (the detection
 * postprocess) stays one step that lists them all in `outputs`.
 */
export type Lowered = { step: Step } | { alias: Alias } | { steps: Step[] };
