// Cuts one operator out of a real model into a model of its own (same tensors, weights,
// quantization and options), so that TensorFlow Lite can run that layer alone on the
// exact input our runtime saw.
import type { Model, Operator, Tensor } from '../../kernels/tflite/model-types.js';
import { encodeModel, TensorType, type OptionField, type TensorSpec } from './model-builder.js';

const padding = (p: string): number => (p === 'SAME' ? 0 : 1);
const activation = (a: string): number => ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'].indexOf(a);

/** BuiltinOptions type id and fields, from TFLite's schema. */
function options(op: Operator): { type: number; fields: OptionField[] } | null {
  const o = op.options;
  switch (o.kind) {
    case 'conv2d':
      return { type: 1, fields: [[0, 'int8', padding(o.padding)], [1, 'int32', o.strideW], [2, 'int32', o.strideH], [3, 'int8', activation(o.activation)], [4, 'int32', o.dilationW], [5, 'int32', o.dilationH]] };
    case 'depthwise':
      return { type: 2, fields: [[0, 'int8', padding(o.padding)], [1, 'int32', o.strideW], [2, 'int32', o.strideH], [3, 'int32', o.depthMultiplier], [4, 'int8', activation(o.activation)], [5, 'int32', o.dilationW], [6, 'int32', o.dilationH]] };
    case 'pool2d':
      return { type: 5, fields: [[0, 'int8', padding(o.padding)], [1, 'int32', o.strideW], [2, 'int32', o.strideH], [3, 'int32', o.filterWidth], [4, 'int32', o.filterHeight], [5, 'int8', activation(o.activation)]] };
    case 'fullyConnected':
      return { type: 8, fields: [[0, 'int8', activation(o.activation)], [2, 'bool', o.keepNumDims ? 1 : 0]] };
    case 'softmax':
      return { type: 9, fields: [[0, 'float32', o.beta]] };
    case 'add':
      return { type: 11, fields: [[0, 'int8', activation(o.activation)]] };
    case 'mul':
      return { type: 21, fields: [[0, 'int8', activation(o.activation)]] };
    case 'reducer':
      return { type: 27, fields: [[0, 'bool', o.keepDims ? 1 : 0]] };
    case 'concatenation':
      return { type: 10, fields: [[0, 'int32', o.axis], [1, 'int8', activation(o.activation)]] };
    default:
      return null;
  }
}

function tensorSpec(t: Tensor, buffer: number): TensorSpec {
  const q = t.quantization;
  return {
    name: t.name,
    shape: t.shape,
    type: TensorType[t.type as keyof typeof TensorType],
    buffer,
    quantization: q ? { scale: q.scale, zero_point: q.zeroPoint, quantized_dimension: q.quantizedDimension } : undefined,
  };
}

export function singleOperatorModel(model: Model, op: Operator): Uint8Array {
  const used = [...op.inputs.filter((i) => i >= 0), ...op.outputs];
  const buffers: { data?: Uint8Array }[] = [{}];
  const tensors = used.map((index) => {
    const t = model.tensors[index];
    if (!t.data) return tensorSpec(t, 0);
    buffers.push({ data: t.data });
    return tensorSpec(t, buffers.length - 1);
  });
  const local = (index: number): number => (index < 0 ? -1 : used.indexOf(index));
  const opts = options(op);
  return encodeModel({
    version: 3,
    operator_codes: [{
      deprecated_builtin_code: Math.min(op.code, 127),
      builtin_code: op.code,
      ...(op.name.startsWith('CUSTOM:') ? { custom_code: op.name.slice('CUSTOM:'.length) } : {}),
    }],
    buffers,
    subgraphs: [{
      tensors,
      inputs: op.inputs.filter((i) => i >= 0 && !model.tensors[i].data).map(local),
      outputs: op.outputs.map(local),
      operators: [{
        opcode_index: 0,
        inputs: op.inputs.map(local),
        outputs: op.outputs.map(local),
        ...(opts ? { builtin_options_type: opts.type, builtin_options: opts.fields } : {}),
        ...(op.customOptions ? { custom_options: op.customOptions } : {}),
      }],
    }],
  });
}
