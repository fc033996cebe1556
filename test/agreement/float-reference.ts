// Real-number recomputation of one TFLite operator, straight from the model's own tensors
// (not from our lowered plan): dequantize the inputs, compute in float64, apply the fused
// activation, quantize to the output tensor. Used to check each layer of our runtime.
import type { Model, Operator, Tensor } from '../../kernels/tflite/model-types.js';

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The quantized values of a tensor in its own type, from our uint8-domain storage. */
export function ownTypeValues(t: Tensor, stored: Uint8Array | Float32Array | Int32Array | Float64Array): Float64Array {
  const out = new Float64Array(stored.length);
  for (let i = 0; i < stored.length; i++) out[i] = t.type === 'int8' ? stored[i] - 128 : stored[i];
  return out;
}

export function dequantize(t: Tensor, own: Float64Array): Float64Array {
  if (t.type === 'float32') return own;
  const s = t.quantization!.scale[0];
  const z = t.quantization!.zeroPoint[0];
  return own.map((q) => s * (q - z));
}

function constantReal(t: Tensor): { values: Float64Array; scaleOf: (i: number) => number } {
  const q = t.quantization!;
  const n = count(t.shape);
  const raw = t.data!;
  const values = new Float64Array(n);
  const axis = q.quantizedDimension;
  const inner = count(t.shape.slice(axis + 1));
  const dim = t.shape[axis];
  const channelOf = (i: number): number => (q.scale.length > 1 ? Math.floor(i / inner) % dim : 0);
  for (let i = 0; i < n; i++) {
    const v = t.type === 'int8' ? (raw[i] << 24) >> 24 : raw[i];
    const c = channelOf(i);
    values[i] = q.scale[c] * (v - q.zeroPoint[c]);
  }
  return { values, scaleOf: (c) => (q.scale.length > 1 ? q.scale[c] : q.scale[0]) };
}

function bias(model: Model, op: Operator, outC: number, inputScale: number, weightScale: (c: number) => number): Float64Array {
  const b = new Float64Array(outC);
  const t = model.tensors[op.inputs[2] ?? -1];
  if (!t || !t.data) return b;
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  for (let c = 0; c < outC; c++) b[c] = view.getInt32(c * 4, true) * inputScale * weightScale(c);
  return b;
}

function samePadding(input: number, kernel: number, stride: number, padding: string): { out: number; before: number } {
  if (padding === 'VALID') return { out: Math.floor((input - kernel) / stride) + 1, before: 0 };
  const out = Math.ceil(input / stride);
  return { out, before: Math.floor(Math.max((out - 1) * stride + kernel - input, 0) / 2) };
}

function activate(v: number, activation: string): number {
  if (activation === 'RELU') return Math.max(0, v);
  if (activation === 'RELU6') return Math.min(6, Math.max(0, v));
  if (activation === 'RELU_N1_TO_1') return Math.min(1, Math.max(-1, v));
  return v;
}

/** Quantizes real values to the tensor's own type, clamped to the type's range. */
export function quantize(t: Tensor, real: Float64Array): Float64Array {
  if (t.type === 'float32') return real;
  const s = t.quantization!.scale[0];
  const z = t.quantization!.zeroPoint[0];
  const [lo, hi] = t.type === 'int8' ? [-128, 127] : [0, 255];
  return real.map((v) => Math.min(hi, Math.max(lo, Math.round(v / s) + z)));
}

/** The operator's output in the output tensor's own type, computed in real numbers. */
export function referenceOutput(model: Model, op: Operator, inputs: Float64Array[]): Float64Array {
  const T = model.tensors;
  const inT = T[op.inputs[0]];
  const outT = T[op.outputs[0]];
  const x = dequantize(inT, inputs[0]);
  const o = op.options;
  const inScale = inT.quantization?.scale[0] ?? 1;
  const result = new Float64Array(count(outT.shape));
  switch (op.name) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D': {
      if (o.kind !== 'conv2d' && o.kind !== 'depthwise') throw new Error('options');
      const wT = T[op.inputs[1]];
      const w = constantReal(wT);
      const [, H, W, C] = inT.shape;
      const [, OH, OW, OC] = outT.shape;
      const depthwise = op.name === 'DEPTHWISE_CONV_2D';
      const [KH, KW] = [wT.shape[1], wT.shape[2]];
      const rows = samePadding(H, KH, o.strideH, o.padding);
      const cols = samePadding(W, KW, o.strideW, o.padding);
      const b = bias(model, op, OC, inScale, w.scaleOf);
      const multiplier = OC / C;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          for (let oc = 0; oc < OC; oc++) {
            let acc = b[oc];
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * o.strideH - rows.before + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * o.strideW - cols.before + kx;
                if (ix < 0 || ix >= W) continue;
                if (depthwise) {
                  const ic = Math.floor(oc / multiplier);
                  acc += x[(iy * W + ix) * C + ic] * w.values[(ky * KW + kx) * OC + oc];
                } else {
                  for (let ic = 0; ic < C; ic++) {
                    acc += x[(iy * W + ix) * C + ic] * w.values[((oc * KH + ky) * KW + kx) * C + ic];
                  }
                }
              }
            }
            result[(oy * OW + ox) * OC + oc] = activate(acc, o.activation);
          }
        }
      }
      break;
    }
    case 'FULLY_CONNECTED': {
      if (o.kind !== 'fullyConnected') throw new Error('options');
      const wT = T[op.inputs[1]];
      const w = constantReal(wT);
      const [OC, IC] = wT.shape;
      const b = bias(model, op, OC, inScale, w.scaleOf);
      const rows = x.length / IC;
      for (let r = 0; r < rows; r++) {
        for (let oc = 0; oc < OC; oc++) {
          let acc = b[oc];
          for (let ic = 0; ic < IC; ic++) acc += x[r * IC + ic] * w.values[oc * IC + ic];
          result[r * OC + oc] = activate(acc, o.activation);
        }
      }
      break;
    }
    case 'AVERAGE_POOL_2D': {
      if (o.kind !== 'pool2d') throw new Error('options');
      const [, H, W, C] = inT.shape;
      const [, OH, OW] = outT.shape;
      const rows = samePadding(H, o.filterHeight, o.strideH, o.padding);
      const cols = samePadding(W, o.filterWidth, o.strideW, o.padding);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          for (let c = 0; c < C; c++) {
            let sum = 0;
            let n = 0;
            for (let ky = 0; ky < o.filterHeight; ky++) {
              for (let kx = 0; kx < o.filterWidth; kx++) {
                const iy = oy * o.strideH - rows.before + ky;
                const ix = ox * o.strideW - cols.before + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                sum += x[(iy * W + ix) * C + c];
                n++;
              }
            }
            result[(oy * OW + ox) * C + c] = activate(sum / n, o.activation);
          }
        }
      }
      break;
    }
    case 'MEAN': {
      const [, H, W, C] = inT.shape;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let p = 0; p < H * W; p++) sum += x[p * C + c];
        result[c] = sum / (H * W);
      }
      break;
    }
    case 'ADD': {
      if (o.kind !== 'add') throw new Error('options');
      const y = dequantize(T[op.inputs[1]], inputs[1]);
      for (let i = 0; i < result.length; i++) result[i] = activate(x[i] + y[i], o.activation);
      break;
    }
    case 'SOFTMAX': {
      if (o.kind !== 'softmax') throw new Error('options');
      const C = inT.shape[inT.shape.length - 1];
      for (let r = 0; r < x.length / C; r++) {
        const row = x.subarray(r * C, (r + 1) * C);
        const max = Math.max(...row);
        const e = row.map((v) => Math.exp(o.beta * (v - max)));
        const sum = e.reduce((a, v) => a + v, 0);
        e.forEach((v, i) => (result[r * C + i] = v / sum));
      }
      break;
    }
    case 'QUANTIZE':
    case 'DEQUANTIZE':
      result.set(x);
      break;
    case 'PAD': {
      const [, H, W, C] = inT.shape;
      const [, , OW, OC] = outT.shape;
      const p = new Int32Array(T[op.inputs[1]].data!.slice().buffer);
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          for (let c = 0; c < C; c++) result[((y + p[2]) * OW + xx + p[4]) * OC + c + p[6]] = x[(y * W + xx) * C + c];
        }
      }
      break;
    }
    default:
      throw new Error(`no float reference for ${op.name}`);
  }
  return quantize(outT, result);
}
