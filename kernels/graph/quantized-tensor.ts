import type { Model, Tensor } from '../tflite/model-types.js';
import { ModelError, quote } from '../tflite/errors.js';

/** An activation's quantization as the kernels see it: uint8 domain (ARITHMETIC.md). */
export interface ActivationQuant {
  type: 'uint8' | 'int8';
  scale: number;
  /** Zero point in the uint8 domain (int8 zero points + 128). */
  zeroPoint: number;
}

export function describeTensor(t: Tensor): string {
  return `tensor ${t.index} ${quote(t.name)}`;
}

export function fail(model: Model, message: string): never {
  throw new ModelError(model.file, message);
}

/** Per-tensor uint8/int8 quantization of an activation tensor, or a load-time error naming it. */
export function activationQuant(model: Model, t: Tensor, role: string): ActivationQuant {
  if (t.type !== 'uint8' && t.type !== 'int8') {
    fail(model, `${role} ${describeTensor(t)} has type ${t.type}; only uint8 and int8 activations are supported`);
  }
  const q = t.quantization;
  if (!q || q.scale.length === 0) fail(model, `${role} ${describeTensor(t)} is not quantized`);
  if (q.scale.length !== 1) {
    fail(model, `${role} ${describeTensor(t)} has per-channel quantization; activations must be per-tensor`);
  }
  const scale = q.scale[0];
  if (!(scale > 0) || !Number.isFinite(scale)) fail(model, `${role} ${describeTensor(t)} has scale ${scale}`);
  const zp = q.zeroPoint[0] ?? 0;
  const shift = t.type === 'int8' ? 128 : 0;
  const zeroPoint = zp + shift;
  if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) {
    fail(model, `${role} ${describeTensor(t)} has zero point ${zp}, outside its ${t.type} range`);
  }
  return { type: t.type, scale, zeroPoint };
}

export interface QuantizedWeights {
  /** Weights in the uint8 domain, in the tensor's own layout. */
  data: Uint8Array;
  /** Scale per output channel. */
  scale: Float64Array;
  /** Zero point per output channel, uint8 domain. */
  zeroPoint: Int32Array;
}

/**
 * Constant weights moved into the uint8 domain, with per-tensor quantization expanded
 * to one entry per output channel so kernels see a single layout.
 */
export function constantWeights(
  model: Model,
  t: Tensor,
  outputChannels: number,
  channelAxis: number,
): QuantizedWeights {
  if (!t.data) fail(model, `weights ${describeTensor(t)} are not constant`);
  if (t.type !== 'uint8' && t.type !== 'int8') {
    fail(model, `weights ${describeTensor(t)} have type ${t.type}; only uint8 and int8 weights are supported`);
  }
  const q = t.quantization;
  if (!q || q.scale.length === 0) fail(model, `weights ${describeTensor(t)} are not quantized`);
  const perChannel = q.scale.length > 1;
  if (perChannel && (q.scale.length !== outputChannels || q.quantizedDimension !== channelAxis)) {
    fail(
      model,
      `weights ${describeTensor(t)} have ${q.scale.length} scales along axis ${q.quantizedDimension}; ` +
        `expected ${outputChannels} along axis ${channelAxis}`,
    );
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  const shift = t.type === 'int8' ? 128 : 0;
  const data = new Uint8Array(count);
  const raw = t.data.subarray(0, count);
  if (shift) {
    for (let i = 0; i < count; i++) data[i] = raw[i] ^ 0x80;
  } else {
    data.set(raw);
  }
  const scale = new Float64Array(outputChannels);
  const zeroPoint = new Int32Array(outputChannels);
  for (let c = 0; c < outputChannels; c++) {
    const i = perChannel ? c : 0;
    const s = q.scale[i];
    const z = (q.zeroPoint[i] ?? 0) + shift;
    if (!(s > 0) || !Number.isFinite(s)) fail(model, `weights ${describeTensor(t)} have scale ${s} for channel ${c}`);
    if (!Number.isInteger(z) || z < 0 || z > 255) {
      fail(model, `weights ${describeTensor(t)} have zero point ${z - shift} for channel ${c}, outside the ${t.type} range`);
    }
    scale[c] = s;
    zeroPoint[c] = z;
  }
  return { data, scale, zeroPoint };
}

/** An int32 bias vector, or zeros when the optional input is omitted. */
export function constantBias(model: Model, index: number, outputChannels: number): Int32Array {
  if (index < 0) return new Int32Array(outputChannels);
  const t = model.tensors[index];
  if (!t.data) fail(model, `bias ${describeTensor(t)} is not constant`);
  if (t.type !== 'int32') fail(model, `bias ${describeTensor(t)} has type ${t.type}; expected int32`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== outputChannels) {
    fail(model, `bias ${describeTensor(t)} has ${count} values for ${outputChannels} output channels`);
  }
  return readInt32s(t.data, count);
}

/** Little-endian int32 values from constant bytes that need not be 4-byte aligned. */
export function readInt32s(bytes: Uint8Array, count: number): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

export function constantInt32s(model: Model, index: number, role: string): Int32Array {
  const t = model.tensors[index];
  if (!t || !t.data) fail(model, `${role} of the operator must be a constant tensor`);
  if (t.type !== 'int32') fail(model, `${role} ${describeTensor(t)} has type ${t.type}; expected int32`);
  return readInt32s(t.data, t.shape.reduce((a, b) => a * b, 1));
}
