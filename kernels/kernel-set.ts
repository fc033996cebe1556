// The contract every kernel implementation meets: the TypeScript reference (ref/) and
// each native path (native/). The graph executor and the shared kernel test suite talk
// to kernels only through this interface. The arithmetic is specified in ARITHMETIC.md;
// every implementation produces the same bytes for the same arguments.
//
// Activations are always uint8 NHWC with batch 1 (int8 tensors are carried as x + 128,
// which leaves every (x - zeroPoint) unchanged; see ARITHMETIC.md). A factory call
// validates and prepacks once; the returned kernel's run() only computes.

/**
 * The output stage of convolutions, depthwise and GEMM: XNNPACK's fp32 requantization,
 * which is what TensorFlow Lite runs on CPU (ARITHMETIC.md).
 */
export interface ScaleRequantization {
  /** float32 scale per output channel (all equal for per-tensor). */
  scale: Float32Array;
  outputZeroPoint: number;
  /** Clamp bounds in the uint8 domain, fused activation included. */
  min: number;
  max: number;
}

/** TFLite's fixed-point requantization, for mean and requantize (ARITHMETIC.md). */
export interface Requantization {
  /** Q31 fixed-point multiplier per output channel (all equal for per-tensor). */
  multiplier: Int32Array;
  /** Exponent per output channel, TFLite convention: > 0 shifts left, < 0 shifts right. */
  shift: Int32Array;
  outputZeroPoint: number;
  /** Clamp bounds in the uint8 domain, fused activation included. */
  min: number;
  max: number;
}

export interface ConvParams {
  inputH: number;
  inputW: number;
  inputC: number;
  outputH: number;
  outputW: number;
  outputC: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  /** Rows/columns of implicit zero-point padding before the first input row/column. */
  padTop: number;
  padLeft: number;
  inputZeroPoint: number;
  /** Zero point of the weights per output channel (uint8 domain). */
  weightZeroPoint: Int32Array;
  /** One int32 bias per output channel (zeros when the model has none). */
  bias: Int32Array;
  requant: ScaleRequantization;
}

/** Depthwise: output channel c*depthMultiplier + m reads input channel c. outputC = inputC * depthMultiplier. */
export interface DepthwiseParams extends ConvParams {
  depthMultiplier: number;
}

/** Fully connected / 1x1 convolution as GEMM: rows x inputC times inputC x outputC. */
export interface GemmParams {
  rows: number;
  inputC: number;
  outputC: number;
  inputZeroPoint: number;
  weightZeroPoint: Int32Array;
  bias: Int32Array;
  requant: ScaleRequantization;
}

export interface AveragePoolParams {
  inputH: number;
  inputW: number;
  channels: number;
  outputH: number;
  outputW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  /** Input and output share scale and zero point (TFLite requires it). */
  zeroPoint: number;
  min: number;
  max: number;
}

/** Mean over the spatial axes of an H x W x C tensor, requantized to the output's scale. */
export interface MeanParams {
  inputH: number;
  inputW: number;
  channels: number;
  inputZeroPoint: number;
  /** Multiplier/shift for inputScale / (outputScale * H * W); length 1. */
  requant: Requantization;
}

/** Quantized ADD as XNNPACK computes it, elementwise over `size` values (equal shapes). */
export interface AddParams {
  size: number;
  inputZeroPointA: number;
  inputZeroPointB: number;
  /** Integer multipliers for scaleA / outputScale and scaleB / outputScale, times 2^shift. */
  multiplierA: number;
  multiplierB: number;
  /** 20 minus the exponent of the larger of the two scale ratios (ARITHMETIC.md). */
  shift: number;
  outputZeroPoint: number;
  min: number;
  max: number;
}

/** Softmax over the last axis: `rows` rows of `channels` uint8 values. */
export interface SoftmaxParams {
  rows: number;
  channels: number;
  /** table[d] = exp(-beta * inputScale * d) for d = max - x in 0..255. */
  expTable: Float64Array;
  /** 1 / outputScale. */
  inverseOutputScale: number;
  outputZeroPoint: number;
  min: number;
  max: number;
}

/** uint8 to uint8 between two quantizations (QUANTIZE between quantized types). */
export interface RequantizeParams {
  size: number;
  inputZeroPoint: number;
  /** Length-1 multiplier/shift for inputScale / outputScale. */
  requant: Requantization;
}

export interface PadParams {
  inputH: number;
  inputW: number;
  inputC: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  /** Channel padding before/after, for PAD on the last axis. */
  padChannelsBefore: number;
  padChannelsAfter: number;
  /** The value written into the padding: the tensor's zero point. */
  value: number;
}

/** float32 to uint8 (QUANTIZE from float). */
export interface QuantizeParams {
  size: number;
  scale: number;
  zeroPoint: number;
  min: number;
  max: number;
}

/** uint8 to float32 (DEQUANTIZE). */
export interface DequantizeParams {
  size: number;
  scale: number;
  zeroPoint: number;
}

/**
 * CONCATENATION of uint8 tensors seen as outer x (axis x inner): each input contributes
 * `axisSizes[i] * inner` contiguous values per outer row. An input whose quantization
 * differs from the output's is requantized as TFLite's ConcatenationWithScaling does
 * (ARITHMETIC.md); one that matches is copied.
 */
export interface ConcatenationParams {
  outer: number;
  inner: number;
  /** Each input's extent along the axis. */
  axisSizes: number[];
  inputScales: number[];
  /** uint8 domain. */
  inputZeroPoints: number[];
  outputScale: number;
  outputZeroPoint: number;
}

/** LOGISTIC of uint8 values through TFLite's 256-entry table (ARITHMETIC.md). */
export interface LogisticParams {
  size: number;
  inputScale: number;
  /** uint8 domain. */
  inputZeroPoint: number;
  /** TFLite requires 1/256. */
  outputScale: number;
  /** uint8 domain (0 for uint8 and for int8's -128). */
  outputZeroPoint: number;
}

/**
 * TFLite_Detection_PostProcess: center-size box encodings decoded against the anchors,
 * then fast (class-agnostic) or regular (per-class) non-maximum suppression, in float
 * as TensorFlow Lite computes it (ARITHMETIC.md).
 */
export interface DetectionPostprocessParams {
  /** Boxes (anchors): box encodings are boxes x boxCoordinates, scores boxes x classesWithBackground. */
  boxes: number;
  /** Values per box encoding, at least 4 (y, x, h, w first). */
  boxCoordinates: number;
  /** Classes in the scores, background included when classesWithBackground = numClasses + 1. */
  classesWithBackground: number;
  numClasses: number;
  boxScale: number;
  /** uint8 domain, as are the scores'. */
  boxZeroPoint: number;
  scoreScale: number;
  scoreZeroPoint: number;
  /** boxes x 4 dequantized anchors: y center, x center, h, w. */
  anchors: Float32Array;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
  maxDetections: number;
  maxClassesPerDetection: number;
  detectionsPerClass: number;
  useRegularNms: boolean;
  scoreThreshold: number;
  iouThreshold: number;
}

/** The four float outputs of the detection postprocess. */
export interface DetectionOutputs {
  /** detections x 4: ymin, xmin, ymax, xmax. */
  boxes: Float32Array;
  classes: Float32Array;
  scores: Float32Array;
  /** One value: how many detections are valid. */
  count: Float32Array;
}

/**
 * An elementwise operator whose output depends only on the input byte (HARD_SWISH, standalone
 * RELU and RELU6): the load step tabulates it (ref/hard-swish.ts, ref/relu.ts) and the
 * kernel looks every byte up.
 */
export interface LookupParams {
  size: number;
  /** 256 output bytes, indexed by the input byte. */
  table: Uint8Array;
}

/**
 * Quantized MUL with broadcasting, as XNNPACK computes it (ARITHMETIC.md). The output has
 * `shape` (1 to 4 dims, outermost first); element i of the output at index (i0, i1, ...)
 * reads A at sum(i_k * stridesA[k]) and B likewise; a stride of 0 broadcasts that input.
 */
export interface MulParams {
  shape: number[];
  stridesA: number[];
  stridesB: number[];
  inputZeroPointA: number;
  inputZeroPointB: number;
  /** f32(f32(scaleA * scaleB) / outputScale). */
  scale: number;
  outputZeroPoint: number;
  min: number;
  max: number;
}

/** RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR of an H x W x C tensor; input and output share quantization. */
export interface ResizeParams {
  inputH: number;
  inputW: number;
  channels: number;
  outputH: number;
  outputW: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** One output of SPLIT: `outer` runs of `length` bytes, read `stride` apart from `offset`. */
export interface SliceParams {
  outer: number;
  stride: number;
  offset: number;
  length: number;
}

/** ARG_MAX over the middle axis of an outer x axisSize x inner tensor; int32 indices out. */
export interface ArgMaxParams {
  outer: number;
  axisSize: number;
  inner: number;
  /** The output tensor's type: TFLite's ARG_MAX writes int32 or int64 indices (TensorFlow's default). */
  indexType: 'int32' | 'int64';
}

export interface UnaryKernel {
  run(input: Uint8Array, output: Uint8Array): void;
}
export interface BinaryKernel {
  run(a: Uint8Array, b: Uint8Array, output: Uint8Array): void;
}
export interface QuantizeKernel {
  run(input: Float32Array, output: Uint8Array): void;
}
export interface DequantizeKernel {
  run(input: Uint8Array, output: Float32Array): void;
}
export interface ConcatenationKernel {
  run(inputs: readonly Uint8Array[], output: Uint8Array): void;
}
export interface DetectionPostprocessKernel {
  run(boxEncodings: Uint8Array, scores: Uint8Array, output: DetectionOutputs): void;
}
export interface ArgMaxKernel {
  /** `output` is an Int32Array for int32 indices, a BigInt64Array for int64 ones. */
  run(input: Uint8Array, output: Int32Array | BigInt64Array): void;
}

export interface KernelSet {
  /** 'js', 'native:neon', 'native:neon-dotprod', 'native:avx2', ... */
  readonly name: string;
  /** weights: outputC x kernelH x kernelW x inputC (TFLite OHWI), uint8 domain. */
  conv(p: ConvParams, weights: Uint8Array): UnaryKernel;
  /** weights: kernelH x kernelW x outputC (TFLite 1HWO), uint8 domain. */
  depthwise(p: DepthwiseParams, weights: Uint8Array): UnaryKernel;
  /** weights: outputC x inputC, uint8 domain. Used for 1x1 convolutions and fully connected. */
  gemm(p: GemmParams, weights: Uint8Array): UnaryKernel;
  averagePool(p: AveragePoolParams): UnaryKernel;
  mean(p: MeanParams): UnaryKernel;
  add(p: AddParams): BinaryKernel;
  softmax(p: SoftmaxParams): UnaryKernel;
  requantize(p: RequantizeParams): UnaryKernel;
  pad(p: PadParams): UnaryKernel;
  quantize(p: QuantizeParams): QuantizeKernel;
  dequantize(p: DequantizeParams): DequantizeKernel;
  concatenation(p: ConcatenationParams): ConcatenationKernel;
  logistic(p: LogisticParams): UnaryKernel;
  detectionPostprocess(p: DetectionPostprocessParams): DetectionPostprocessKernel;
  lookup(p: LookupParams): UnaryKernel;
  mul(p: MulParams): BinaryKernel;
  resizeNearest(p: ResizeParams): UnaryKernel;
  resizeBilinear(p: ResizeParams): UnaryKernel;
  slice(p: SliceParams): UnaryKernel;
  argMax(p: ArgMaxParams): ArgMaxKernel;
}
