import type { Model, Tensor } from '../tflite/model-types.js';
import { planArena, type Lifetime } from './arena.js';
import { lowerOperator, supportedOperators } from './lowering/index.js';
import { activationQuant, describeTensor, fail, type ActivationQuant } from './quantized-tensor.js';
import type { Step } from './steps.js';

/** Where a tensor's values live in the arena, and how they are stored. */
export interface Slot {
  offset: number;
  bytes: number;
  /** 'u8' holds uint8 and int8 tensors (int8 as x + 128); 'f32' holds float32; 'i32' and 'i64' ARG_MAX's indices. */
  storage: 'u8' | 'f32' | 'i32' | 'i64';
}

/** A graph input or output as the caller sees it. */
export interface Endpoint {
  tensor: Tensor;
  slot: Slot;
  /** The tensor's shape, or the one its operator gives it when the model leaves it unshaped. */
  shape: number[];
  /** Quantization of a uint8/int8 endpoint, null for float32 and the int32 and int64 indices. */
  quant: ActivationQuant | null;
}

export interface Plan {
  model: Model;
  steps: Step[];
  /** Indexed by tensor; undefined for constants and tensors no step touches. */
  slots: (Slot | undefined)[];
  arenaBytes: number;
  /** What the activations would take with one buffer each, for comparison. */
  unsharedBytes: number;
  input: Endpoint;
  /** The first graph output (a classifier's only one). */
  output: Endpoint;
  /** Every graph output, in the model's order (a detector's boxes, classes, scores and count). */
  outputs: Endpoint[];
}

function storageOf(model: Model, t: Tensor): Slot['storage'] {
  if (t.type === 'uint8' || t.type === 'int8') return 'u8';
  if (t.type === 'float32') return 'f32';
  if (t.type === 'int32') return 'i32';
  if (t.type === 'int64') return 'i64';
  return fail(model, `${describeTensor(t)} has type ${t.type}; only uint8, int8 and float32 activations are supported`);
}

function bytesOf(shape: number[], storage: Slot['storage']): number {
  return shape.reduce((a, b) => a * b, 1) * { u8: 1, f32: 4, i32: 4, i64: 8 }[storage];
}

/** What the Edge TPU compiler leaves in place of the layers it compiled. */
const EDGE_TPU_OPERATOR = 'CUSTOM:edgetpu-custom-op';

/** The model's operators that no kernel here executes, each named once. */
export function unsupportedOperators(model: Model): string[] {
  return [...new Set(model.operators.map((o) => o.name).filter((n) => !supportedOperators.includes(n)))];
}

/**
 * Turns a model into an executable plan: every operator lowered to a kernel step (with
 * weights moved into the uint8 domain and requantization constants computed once), and
 * every activation given an arena offset so tensors whose lifetimes do not overlap share
 * memory.
 */
export function planModel(model: Model): Plan {
  const unsupported = unsupportedOperators(model);
  // Detected by the operator, not the file name, which a copy may have lost.
  if (unsupported.includes(EDGE_TPU_OPERATOR)) {
    fail(model, 'compiled for the Edge TPU (its layers are one edgetpu-custom-op operator, which only a Coral accelerator runs): ' +
      'use the CPU version of the model, usually the same name without _edgetpu');
  }
  if (unsupported.length > 0) {
    fail(model, `unsupported operator${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')} (supported: ${supportedOperators.join(', ')})`);
  }
  if (model.inputs.length !== 1 || model.outputs.length < 1) {
    fail(model, `the graph has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only one input and at least one output are supported`);
  }

  const steps: Step[] = [];
  // An alias (RESHAPE/SQUEEZE output) is stored as its root tensor.
  const root = new Map<number, number>();
  const rootOf = (t: number): number => root.get(t) ?? t;
  for (const op of model.operators) {
    const lowered = lowerOperator(model, op);
    if ('alias' in lowered) root.set(lowered.alias.output, rootOf(lowered.alias.input));
    else for (const step of 'steps' in lowered ? lowered.steps : [lowered.step]) steps.push({ ...step, inputs: step.inputs.map(rootOf) });
  }
  const inputIndex = model.inputs[0];
  const outputIndices = model.outputs.map(rootOf);

  const first = new Map<number, number>([[inputIndex, -1]]);
  const last = new Map<number, number>();
  const shapes = new Map<number, number[]>();
  steps.forEach((s, i) => {
    s.outputs.forEach((t, k) => {
      if (first.has(t)) fail(model, `${describeTensor(model.tensors[t])} is written twice`);
      first.set(t, i);
      shapes.set(t, s.outputShapes[k]);
    });
    for (const t of s.inputs) {
      if (!first.has(t)) fail(model, `${describeTensor(model.tensors[t])} is read by operator ${s.operator.index} before any operator writes it`);
      last.set(t, i);
    }
  });
  for (const t of outputIndices) {
    if (!first.has(t)) fail(model, `the graph output ${describeTensor(model.tensors[t])} is never written`);
    last.set(t, steps.length);
  }
  const shapeOf = (t: number): number[] => shapes.get(rootOf(t)) ?? model.tensors[t].shape;

  const tensors = [...first.keys()];
  const lifetimes: Lifetime[] = [];
  const storage: Slot['storage'][] = [];
  for (const t of tensors) {
    const kind = storageOf(model, model.tensors[t]);
    storage.push(kind);
    lifetimes.push({ bytes: bytesOf(shapeOf(t), kind), first: first.get(t)!, last: last.get(t) ?? first.get(t)! });
  }
  const layout = planArena(lifetimes);
  const slots: (Slot | undefined)[] = new Array(model.tensors.length);
  tensors.forEach((t, i) => {
    slots[t] = { offset: layout.offsets[i], bytes: lifetimes[i].bytes, storage: storage[i] };
  });
  for (const [alias, r] of root) slots[alias] = slots[rootOf(r)];

  const endpoint = (index: number, role: string): Endpoint => {
    const tensor = model.tensors[index];
    return {
      tensor,
      slot: slots[index]!,
      shape: shapeOf(index),
      quant: tensor.type === 'float32' || tensor.type === 'int32' || tensor.type === 'int64' ? null : activationQuant(model, tensor, role),
    };
  };
  const outputs = model.outputs.map((t) => endpoint(t, 'graph output'));
  return {
    model,
    steps,
    slots,
    arenaBytes: layout.bytes,
    unsharedBytes: lifetimes.reduce((a, l) => a + l.bytes, 0),
    input: endpoint(inputIndex, 'graph input'),
    output: outputs[0],
    outputs,
  };
}
