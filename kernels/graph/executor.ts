import type { KernelSet } from '../kernel-set.js';
import type { Endpoint, Plan, Slot } from './plan.js';
import type { Step } from './steps.js';

export type TensorValues = Uint8Array | Int8Array | Float32Array | Int32Array;
/**
 * What a graph output gives the caller: TensorValues, or ARG_MAX's int64 indices as a
 * Float64Array (exact: an index is far below 2^53), so that every output reads as numbers.
 */
export type OutputValues = TensorValues | Float64Array;

/**
 * Runs a plan on one kernel set over one arena. Kernels are instantiated (weights
 * prepacked) and every step bound to its arena views once, here, so run() is a loop of
 * kernel calls with no allocation.
 */
export class Executor {
  readonly arena: ArrayBuffer;
  private readonly calls: (() => void)[];

  constructor(readonly plan: Plan, readonly kernels: KernelSet) {
    this.arena = new ArrayBuffer(plan.arenaBytes);
    this.calls = plan.steps.map((s) => this.bind(s));
  }

  /** Copies a tensor in the model input's own type into the arena. */
  setInput(values: TensorValues): void {
    const { tensor, slot } = this.plan.input;
    const expected = slot.storage === 'f32' ? slot.bytes / 4 : slot.bytes;
    if (values.length !== expected) {
      throw new RangeError(`input has ${values.length} values; the model's input tensor '${tensor.name}' takes ${expected}`);
    }
    if (tensor.type === 'float32') {
      if (!(values instanceof Float32Array)) throw new TypeError(`the model's input is float32; got ${values.constructor.name}`);
      this.f32(slot).set(values);
      return;
    }
    const target = this.u8(slot);
    if (tensor.type === 'int8') {
      if (!(values instanceof Int8Array)) throw new TypeError(`the model's input is int8; got ${values.constructor.name}`);
      for (let i = 0; i < values.length; i++) target[i] = (values[i] + 128) & 0xff;
    } else {
      if (!(values instanceof Uint8Array)) throw new TypeError(`the model's input is uint8; got ${values.constructor.name}`);
      target.set(values);
    }
  }

  run(): void {
    for (const call of this.calls) call();
  }

  /** Runs one step alone: for profiling and for tracing a model layer by layer. */
  runStep(index: number): void {
    this.calls[index]();
  }

  /** Runs once and returns each step's wall time in milliseconds. */
  runProfiled(): number[] {
    return this.calls.map((call) => {
      const start = performance.now();
      call();
      return performance.now() - start;
    });
  }

  /**
   * The current contents of a tensor's slot, as stored (uint8 domain or float32). A slot
   * is shared with tensors of other lifetimes, so this is only meaningful right after
   * the step that writes the tensor.
   */
  stored(tensor: number): Uint8Array | Float32Array | Int32Array | Float64Array {
    const slot = this.slot(tensor);
    if (slot.storage === 'i32') return this.i32(slot);
    if (slot.storage === 'i64') return this.i64Numbers(slot);
    return slot.storage === 'f32' ? this.f32(slot) : this.u8(slot);
  }

  /** A copy of the output tensor in the model's own type (int8 restored from the uint8 domain). */
  output(): OutputValues {
    return this.copyOut(this.plan.output);
  }

  /** A copy of every graph output, in the model's order (output() is the first). */
  outputs(): OutputValues[] {
    return this.plan.outputs.map((e) => this.copyOut(e));
  }

  private copyOut({ tensor, slot }: Endpoint): OutputValues {
    if (slot.storage === 'f32') return this.f32(slot).slice();
    if (slot.storage === 'i32') return this.i32(slot).slice();
    if (slot.storage === 'i64') return this.i64Numbers(slot);
    const stored = this.u8(slot);
    if (tensor.type === 'int8') return Int8Array.from(stored, (v) => v - 128);
    return stored.slice();
  }

  private u8(slot: Slot): Uint8Array {
    return new Uint8Array(this.arena, slot.offset, slot.bytes);
  }

  private f32(slot: Slot): Float32Array {
    return new Float32Array(this.arena, slot.offset, slot.bytes / 4);
  }

  private i32(slot: Slot): Int32Array {
    return new Int32Array(this.arena, slot.offset, slot.bytes / 4);
  }

  private i64(slot: Slot): BigInt64Array {
    return new BigInt64Array(this.arena, slot.offset, slot.bytes / 8);
  }

  /** int64 indices read as numbers: a copy, not the slot. */
  private i64Numbers(slot: Slot): Float64Array {
    return Float64Array.from(this.i64(slot), Number);
  }

  private slot(tensor: number): Slot {
    const slot = this.plan.slots[tensor];
    if (!slot) throw new Error(`tensor ${tensor} has no arena slot`);
    return slot;
  }

  private bind(step: Step): () => void {
    const k = this.kernels;
    const input = this.slot(step.inputs[0]);
    const output = this.slot(step.output);
    switch (step.kind) {
      case 'quantize': {
        const kernel = k.quantize(step.params);
        const x = this.f32(input);
        const y = this.u8(output);
        return () => kernel.run(x, y);
      }
      case 'dequantize': {
        const kernel = k.dequantize(step.params);
        const x = this.u8(input);
        const y = this.f32(output);
        return () => kernel.run(x, y);
      }
      case 'mul': {
        const kernel = k.mul(step.params);
        const a = this.u8(input);
        const b = this.u8(this.slot(step.inputs[1]));
        const y = this.u8(output);
        return () => kernel.run(a, b, y);
      }
      case 'argMax': {
        const kernel = k.argMax(step.params);
        const x = this.u8(input);
        const y = output.storage === 'i64' ? this.i64(output) : this.i32(output);
        return () => kernel.run(x, y);
      }
      case 'add': {
        const kernel = k.add(step.params);
        const a = this.u8(input);
        const b = this.u8(this.slot(step.inputs[1]));
        const y = this.u8(output);
        return () => kernel.run(a, b, y);
      }
      case 'concatenation': {
        const kernel = k.concatenation(step.params);
        const xs = step.inputs.map((t) => this.u8(this.slot(t)));
        const y = this.u8(output);
        return () => kernel.run(xs, y);
      }
      case 'detectionPostprocess': {
        const kernel = k.detectionPostprocess(step.params);
        const boxes = this.u8(input);
        const scores = this.u8(this.slot(step.inputs[1]));
        const [b, c, s, n] = step.outputs.map((t) => this.f32(this.slot(t)));
        const out = { boxes: b, classes: c, scores: s, count: n };
        return () => kernel.run(boxes, scores, out);
      }
      default: {
        const kernel = this.unary(step);
        const x = this.u8(input);
        const y = this.u8(output);
        return () => kernel.run(x, y);
      }
    }
  }

  private unary(step: Step) {
    const k = this.kernels;
    switch (step.kind) {
      case 'conv': return k.conv(step.params, step.weights);
      case 'depthwise': return k.depthwise(step.params, step.weights);
      case 'gemm': return k.gemm(step.params, step.weights);
      case 'averagePool': return k.averagePool(step.params);
      case 'mean': return k.mean(step.params);
      case 'softmax': return k.softmax(step.params);
      case 'requantize': return k.requantize(step.params);
      case 'pad': return k.pad(step.params);
      case 'logistic': return k.logistic(step.params);
      case 'lookup': return k.lookup(step.params);
      case 'resizeNearest': return k.resizeNearest(step.params);
      case 'resizeBilinear': return k.resizeBilinear(step.params);
      case 'slice': return k.slice(step.params);
      default: throw new Error(`step ${step.kind} is not a unary uint8 kernel`);
    }
  }
}
