// The model as the rest of the runtime sees it: plain data read out of a .tflite
// flatbuffer by reader.ts. Nothing here refers back to the flatbuffer bytes except the
// constant tensors' data, which are views (not copies) into the file's buffer.

export type TensorTypeName =
  | 'float32' | 'float16' | 'int32' | 'uint8' | 'int64' | 'string' | 'bool' | 'int16'
  | 'complex64' | 'int8' | 'float64' | 'complex128' | 'uint64' | 'resource' | 'variant'
  | 'uint32' | 'uint16' | 'int4';

export interface Quantization {
  /** One entry per tensor, or one per slice along quantizedDimension. */
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface Tensor {
  index: number;
  name: string;
  type: TensorTypeName;
  shape: number[];
  /** Constant data (weights, biases, shape operands), or null for activations. */
  data: Uint8Array | null;
  quantization: Quantization | null;
  isVariable: boolean;
}

export type Padding = 'SAME' | 'VALID';
export type Activation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';

export interface Conv2DOptions {
  kind: 'conv2d';
  padding: Padding;
  strideW: number;
  strideH: number;
  activation: Activation;
  dilationW: number;
  dilationH: number;
}

export interface DepthwiseConv2DOptions {
  kind: 'depthwise';
  padding: Padding;
  strideW: number;
  strideH: number;
  depthMultiplier: number;
  activation: Activation;
  dilationW: number;
  dilationH: number;
}

export interface Pool2DOptions {
  kind: 'pool2d';
  padding: Padding;
  strideW: number;
  strideH: number;
  filterWidth: number;
  filterHeight: number;
  activation: Activation;
}

export interface FullyConnectedOptions {
  kind: 'fullyConnected';
  activation: Activation;
  /** 'DEFAULT' or 'SHUFFLED4x16INT8'; only DEFAULT is executable. */
  weightsFormat: string;
  keepNumDims: boolean;
}

export interface SoftmaxOptions { kind: 'softmax'; beta: number }
export interface AddOptions { kind: 'add'; activation: Activation }
export interface ReshapeOptions { kind: 'reshape'; newShape: number[] | null }
export interface SqueezeOptions { kind: 'squeeze'; squeezeDims: number[] }
export interface ReducerOptions { kind: 'reducer'; keepDims: boolean }
export interface ConcatenationOptions { kind: 'concatenation'; axis: number; activation: Activation }
export interface MulOptions { kind: 'mul'; activation: Activation }
export interface ResizeOptions { kind: 'resize'; alignCorners: boolean; halfPixelCenters: boolean }
export interface NoOptions { kind: 'none' }

export type OperatorOptions =
  | Conv2DOptions | DepthwiseConv2DOptions | Pool2DOptions | FullyConnectedOptions
  | SoftmaxOptions | AddOptions | ReshapeOptions | SqueezeOptions | ReducerOptions | MulOptions | ResizeOptions | NoOptions
  | ConcatenationOptions;

export interface Operator {
  /** Position in the subgraph's operator list. */
  index: number;
  /** The builtin operator code: max(deprecated_builtin_code, builtin_code). */
  code: number;
  /** 'CONV_2D', 'DEPTHWISE_CONV_2D', ..., or 'CUSTOM:<name>', or 'BUILTIN_<code>' when unknown. */
  name: string;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  options: OperatorOptions;
  /** A custom operator's options as stored (a FlexBuffer for TFLite's own), or null. */
  customOptions: Uint8Array | null;
}

export interface Model {
  /** The path the model was read from, for messages. */
  file: string;
  version: number;
  description: string;
  /** Subgraph 0 (the main graph); the reader rejects models whose main graph is missing. */
  tensors: Tensor[];
  operators: Operator[];
  inputs: number[];
  outputs: number[];
  subgraphCount: number;
  /** Labels from the TFLite metadata's associated file, or null when the model has none. */
  labels: string[] | null;
  /** Names of the metadata entries (e.g. 'TFLITE_METADATA', 'min_runtime_version'). */
  metadataNames: string[];
  sizeBytes: number;
  /**
   * Problems that did not stop the load (damaged metadata or label archive), one
   * sentence each, for `inspect` and the logs.
   */
  warnings: string[];
}
