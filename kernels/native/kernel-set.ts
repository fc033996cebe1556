// A KernelSet running on the C kernels of one path (scalar, avx2, avx512vnni, amx, neon, neon-mlal,
// neondot, armv7-neon, armv7-neon-mlal). Factories check their arguments with the reference kernels'
// own checks, so that both engines refuse the same arguments with the same messages, and C sees
// only values it can trust; then C packs the weights; run() checks the buffers and calls C synchronously
// (the graph executor calls it from a worker, so the event loop is not blocked).
// The C objects are freed by finalizers when the kernels become unreachable.

import type {
  AddParams, AveragePoolParams, BinaryKernel, ConvParams, DepthwiseParams, DequantizeKernel, DequantizeParams,
  GemmParams, KernelSet, LogisticParams, LookupParams, MeanParams, MulParams, PadParams, QuantizeKernel,
  QuantizeParams, RequantizeParams, ResizeParams, SoftmaxParams, UnaryKernel,
} from '../kernel-set.js';
import { refKernels } from '../ref/index.js';
import { validateLookup } from '../ref/lookup.js';
import { validateMul } from '../ref/mul.js';
import { validateAdd } from '../ref/add.js';
import { validateAveragePool } from '../ref/average-pool.js';
import { validateConv } from '../ref/conv.js';
import { validateDepthwise } from '../ref/depthwise.js';
import { validateGemm } from '../ref/gemm.js';
import { validateMean } from '../ref/mean.js';
import { validatePad } from '../ref/pad.js';
import { bilinearAxis, nearestIndices, validateResize } from '../ref/resize.js';
import { validateDequantize, validateQuantize } from '../ref/quantize.js';
import { validateRequantize } from '../ref/requantize-kernel.js';
import { validateSoftmax } from '../ref/softmax.js';
import { buffer } from '../ref/validate.js';
import { createConcatenation } from '../ref/concatenation.js';
import { createDetectionPostprocess } from '../ref/detection-postprocess.js';
import { logisticTable, validateLogistic } from '../ref/logistic.js';
import type { Binding, Handle } from './binding.js';

function unary(b: Binding, ctx: Handle, op: Handle, name: string, inputSize: number, outputSize: number): UnaryKernel {
  return {
    run(input: Uint8Array, output: Uint8Array): void {
      buffer(name, 'input', input, Uint8Array, inputSize);
      buffer(name, 'output', output, Uint8Array, outputSize);
      b.run(ctx, op, input, null, output);
    },
  };
}

export class NativeKernelSet implements KernelSet {
  readonly name: string;
  /** The path the C library runs, e.g. 'avx512vnni'. */
  readonly path: string;

  constructor(private readonly binding: Binding, private readonly context: Handle) {
    this.path = binding.contextPath(context);
    this.name = `native:${this.path}`;
  }

  /** The micro-kernel a factory's result runs (for benchmarks and logs). */
  kernelName(kernel: object): string | undefined {
    const op = handles.get(kernel);
    return op === undefined ? undefined : this.binding.kernelName(op);
  }

  conv(p: ConvParams, weights: Uint8Array): UnaryKernel {
    const s = validateConv(p, weights);
    return this.convLike('conv', p, 1, weights, s.inputSize, s.outputSize);
  }

  depthwise(p: DepthwiseParams, weights: Uint8Array): UnaryKernel {
    const s = validateDepthwise(p, weights);
    return this.convLike('depthwise', p, p.depthMultiplier, weights, s.inputSize, s.outputSize);
  }

  gemm(p: GemmParams, weights: Uint8Array): UnaryKernel {
    const s = validateGemm(p, weights);
    const r = p.requant;
    const ints = Int32Array.of(p.rows, p.inputC, p.outputC, p.inputZeroPoint, r.outputZeroPoint, r.min, r.max);
    const op = this.binding.create(this.context, 'gemm', ints, p.weightZeroPoint, p.bias, r.scale, weights);
    return this.track(unary(this.binding, this.context, op, 'gemm', s.inputSize, s.outputSize), op);
  }

  averagePool(p: AveragePoolParams): UnaryKernel {
    const s = validateAveragePool(p);
    const ints = Int32Array.of(p.inputH, p.inputW, p.channels, p.outputH, p.outputW, p.filterH, p.filterW,
      p.strideH, p.strideW, p.padTop, p.padLeft, p.zeroPoint, p.min, p.max);
    const op = this.binding.create(this.context, 'averagePool', ints);
    return this.track(unary(this.binding, this.context, op, 'averagePool', s.inputSize, s.outputSize), op);
  }

  mean(p: MeanParams): UnaryKernel {
    const s = validateMean(p);
    const r = p.requant;
    const ints = Int32Array.of(p.inputH, p.inputW, p.channels, p.inputZeroPoint, r.multiplier[0], r.shift[0],
      r.outputZeroPoint, r.min, r.max);
    const op = this.binding.create(this.context, 'mean', ints);
    return this.track(unary(this.binding, this.context, op, 'mean', s.inputSize, s.outputSize), op);
  }

  add(p: AddParams): BinaryKernel {
    const size = validateAdd(p);
    const ints = Int32Array.of(p.size, p.inputZeroPointA, p.inputZeroPointB, p.multiplierA, p.multiplierB, p.shift,
      p.outputZeroPoint, p.min, p.max);
    const op = this.binding.create(this.context, 'add', ints);
    const { binding, context } = this;
    return this.track({
      run(a: Uint8Array, b: Uint8Array, output: Uint8Array): void {
        buffer('add', 'a', a, Uint8Array, size);
        buffer('add', 'b', b, Uint8Array, size);
        buffer('add', 'output', output, Uint8Array, size);
        binding.run(context, op, a, b, output);
      },
    }, op);
  }

  softmax(p: SoftmaxParams): UnaryKernel {
    const size = validateSoftmax(p);
    const ints = Int32Array.of(p.rows, p.channels, p.outputZeroPoint, p.min, p.max);
    const op = this.binding.create(this.context, 'softmax', ints, null, null, null, p.expTable, p.inverseOutputScale);
    return this.track(unary(this.binding, this.context, op, 'softmax', size, size), op);
  }

  requantize(p: RequantizeParams): UnaryKernel {
    const size = validateRequantize(p);
    const r = p.requant;
    const ints = Int32Array.of(p.size, p.inputZeroPoint, r.multiplier[0], r.shift[0], r.outputZeroPoint, r.min, r.max);
    const op = this.binding.create(this.context, 'requantize', ints);
    return this.track(unary(this.binding, this.context, op, 'requantize', size, size), op);
  }

  pad(p: PadParams): UnaryKernel {
    const s = validatePad(p);
    const ints = Int32Array.of(p.inputH, p.inputW, p.inputC, p.padTop, p.padBottom, p.padLeft, p.padRight,
      p.padChannelsBefore, p.padChannelsAfter, p.value);
    const op = this.binding.create(this.context, 'pad', ints);
    return this.track(unary(this.binding, this.context, op, 'pad', s.inputSize, s.outputSize), op);
  }

  quantize(p: QuantizeParams): QuantizeKernel {
    const size = validateQuantize(p);
    const ints = Int32Array.of(p.size, p.zeroPoint, p.min, p.max);
    const op = this.binding.create(this.context, 'quantize', ints, null, null, null, null, p.scale);
    const { binding, context } = this;
    return this.track({
      run(input: Float32Array, output: Uint8Array): void {
        buffer('quantize', 'input', input, Float32Array, size);
        buffer('quantize', 'output', output, Uint8Array, size);
        binding.run(context, op, input, null, output);
      },
    }, op);
  }

  dequantize(p: DequantizeParams): DequantizeKernel {
    const size = validateDequantize(p);
    const ints = Int32Array.of(p.size, p.zeroPoint, 0, 255);
    const op = this.binding.create(this.context, 'dequantize', ints, null, null, null, null, p.scale);
    const { binding, context } = this;
    return this.track({
      run(input: Uint8Array, output: Float32Array): void {
        buffer('dequantize', 'input', input, Uint8Array, size);
        buffer('dequantize', 'output', output, Float32Array, size);
        binding.run(context, op, input, null, output);
      },
    }, op);
  }

  // The rest of the detector's head: copies and the float postprocess, a small share of a
  // detector's time (edge-agent bench shows it per layer), run by the reference kernels.
  concatenation = createConcatenation;
  detectionPostprocess = createDetectionPostprocess;

  // LOGISTIC is the reference kernel's own 256-entry table over the input byte, so the C
  // lookup gives the same bytes, at the lookup's speed.
  logistic(p: LogisticParams): UnaryKernel {
    const size = validateLogistic(p);
    const op = this.binding.create(this.context, 'lookup', Int32Array.of(size), null, null, null, logisticTable(p));
    return this.track(unary(this.binding, this.context, op, 'logistic', size, size), op);
  }

  // The resizes gather in C over the reference kernel's own tables (computed once, in
  // float32 as TFLite does), so both give the same bytes.
  resizeNearest(p: ResizeParams): UnaryKernel {
    const s = validateResize('resizeNearest', p);
    const tables = Int32Array.of(...nearestIndices(p.inputH, p.outputH, p.alignCorners, p.halfPixelCenters),
      ...nearestIndices(p.inputW, p.outputW, p.alignCorners, p.halfPixelCenters));
    return this.resize('resizeNearest', p, 0, tables, s);
  }

  resizeBilinear(p: ResizeParams): UnaryKernel {
    const s = validateResize('resizeBilinear', p);
    const rows = bilinearAxis(p.inputH, p.outputH, p.alignCorners, p.halfPixelCenters);
    const cols = bilinearAxis(p.inputW, p.outputW, p.alignCorners, p.halfPixelCenters);
    const tables = Int32Array.of(...rows.first, ...rows.second, ...rows.alpha, ...cols.first, ...cols.second, ...cols.alpha);
    return this.resize('resizeBilinear', p, 1, tables, s);
  }

  private resize(name: string, p: ResizeParams, bilinear: number, tables: Int32Array, s: { inputSize: number; outputSize: number }): UnaryKernel {
    const ints = Int32Array.of(p.inputH, p.inputW, p.channels, p.outputH, p.outputW, bilinear);
    const op = this.binding.create(this.context, 'resize', ints, null, tables);
    return this.track(unary(this.binding, this.context, op, name, s.inputSize, s.outputSize), op);
  }

  // A strided copy (typed-array set() is already a memcpy) and a scan that writes int32 or
  // int64 indices: the reference kernels.
  readonly slice = refKernels.slice;
  readonly argMax = refKernels.argMax;

  lookup(p: LookupParams): UnaryKernel {
    const size = validateLookup(p);
    const op = this.binding.create(this.context, 'lookup', Int32Array.of(p.size), null, null, null, p.table);
    return this.track(unary(this.binding, this.context, op, 'lookup', size, size), op);
  }

  mul(p: MulParams): BinaryKernel {
    const { sizeA, sizeB, outputSize } = validateMul(p);
    // Axes padded to 4, outermost first, as the C operator takes them.
    const pad = (values: number[], fill: number): number[] => [...new Array<number>(4 - values.length).fill(fill), ...values];
    const ints = Int32Array.of(4, ...pad(p.shape, 1), ...pad(p.stridesA, 0), ...pad(p.stridesB, 0), p.inputZeroPointA,
      p.inputZeroPointB, p.outputZeroPoint, p.min, p.max);
    const op = this.binding.create(this.context, 'mul', ints, null, null, Float32Array.of(p.scale));
    const { binding, context } = this;
    return this.track({
      run(a: Uint8Array, b: Uint8Array, output: Uint8Array): void {
        buffer('mul', 'a', a, Uint8Array, sizeA);
        buffer('mul', 'b', b, Uint8Array, sizeB);
        buffer('mul', 'output', output, Uint8Array, outputSize);
        binding.run(context, op, a, b, output);
      },
    }, op);
  }

  private convLike(kind: 'conv' | 'depthwise', p: ConvParams, depthMultiplier: number, weights: Uint8Array,
    inputSize: number, outputSize: number): UnaryKernel {
    const r = p.requant;
    const ints = Int32Array.of(p.inputH, p.inputW, p.inputC, p.outputH, p.outputW, p.outputC, p.kernelH, p.kernelW,
      p.strideH, p.strideW, p.padTop, p.padLeft, depthMultiplier, p.inputZeroPoint, r.outputZeroPoint, r.min, r.max);
    const op = this.binding.create(this.context, kind, ints, p.weightZeroPoint, p.bias, r.scale, weights);
    return this.track(unary(this.binding, this.context, op, kind, inputSize, outputSize), op);
  }

  private track<T extends object>(kernel: T, op: Handle): T {
    handles.set(kernel, op);
    return kernel;
  }
}

const handles = new WeakMap<object, Handle>();
