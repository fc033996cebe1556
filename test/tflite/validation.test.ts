// Small generated models, each valid or broken in exactly one way: what the reader
// returns for the valid ones, and the message it gives for each broken one.

import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../kernels/tflite/errors.js';
import type { Model } from '../../kernels/tflite/model-types.js';
import { readModel } from '../../kernels/tflite/reader.js';
import {
  encodeModel, type ModelSpec, type OperatorSpec, type QuantizationSpec, TensorType, tinyModel,
} from '../support/model-builder.js';

const FILE = 'models/tiny.tflite';

function read(spec: ModelSpec | Uint8Array): Model {
  return readModel(spec instanceof Uint8Array ? spec : encodeModel(spec), FILE);
}

function expectError(spec: ModelSpec | Uint8Array, pattern: RegExp): ModelError {
  let caught: unknown;
  try {
    read(spec);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ModelError);
  const error = caught as ModelError;
  expect(error.file).toBe(FILE);
  expect(error.message.startsWith(`${FILE}: `)).toBe(true);
  expect(error.message).toMatch(pattern);
  expect(error.message).not.toMatch(/\n/);
  return error;
}

/** tinyModel() with `edit` applied to a fresh copy. */
function tiny(edit: (m: ModelSpec & { subgraphs: Required<ModelSpec>['subgraphs'] }) => void): ModelSpec {
  const m = tinyModel() as ModelSpec & { subgraphs: Required<ModelSpec>['subgraphs'] };
  edit(m);
  return m;
}

/** A model with one operator of `code` over tensors 0 -> 1 and the given options. */
function oneOp(code: number, options?: Pick<OperatorSpec, 'builtin_options_type' | 'builtin_options'>): ModelSpec {
  return {
    version: 3,
    operator_codes: [{ deprecated_builtin_code: Math.min(code, 127), builtin_code: code }],
    buffers: [{}],
    subgraphs: [{
      tensors: [
        { name: 'a', type: TensorType.uint8, shape: [1, 8, 8, 4], buffer: 0 },
        { name: 'b', type: TensorType.uint8, shape: [1, 8, 8, 4], buffer: 0 },
      ],
      inputs: [0],
      outputs: [1],
      operators: [{ opcode_index: 0, inputs: [0], outputs: [1], ...options }],
    }],
  };
}

describe('a valid generated model', () => {
  it('reads every field', () => {
    const bytes = encodeModel(tinyModel());
    const model = readModel(bytes, FILE);
    expect(model).toMatchObject({
      file: FILE, version: 3, description: 'tiny', inputs: [0], outputs: [3], subgraphCount: 1,
      labels: null, metadataNames: [], sizeBytes: bytes.length, warnings: [],
    });
    expect(model.tensors.map((t) => [t.name, t.type, t.shape])).toEqual([
      ['input', 'uint8', [1, 4, 4, 2]],
      ['weights', 'uint8', [2, 1, 1, 2]],
      ['bias', 'int32', [2]],
      ['output', 'uint8', [1, 4, 4, 2]],
    ]);
    expect(model.tensors[0]).toMatchObject({
      index: 0, data: null, isVariable: false, quantization: { scale: [0.5], zeroPoint: [128], quantizedDimension: 0 },
    });
    expect([...model.tensors[1].data!]).toEqual([130, 120, 125, 135]);
    expect([...new Int32Array(model.tensors[2].data!.slice().buffer)]).toEqual([7, -7]);
    // Constant data is a view into the file, not a copy.
    expect(model.tensors[1].data!.buffer).toBe(bytes.buffer);
    expect(model.operators).toEqual([{
      index: 0, code: 3, name: 'CONV_2D', inputs: [0, 1, 2], outputs: [3],
      options: { kind: 'conv2d', padding: 'VALID', strideW: 1, strideH: 1, activation: 'RELU6', dilationW: 1, dilationH: 1 },
      customOptions: null,
    }]);
  });

  it('trims a constant buffer longer than its tensor to the tensor', () => {
    const model = read(tiny((m) => { m.buffers![1].data = new Uint8Array(10); }));
    expect(model.tensors[1].data!.length).toBe(4);
  });

  it('allows -1 for an omitted optional input', () => {
    const model = read(tiny((m) => { m.subgraphs[0].operators![0].inputs = [0, 1, -1]; }));
    expect(model.operators[0].inputs).toEqual([0, 1, -1]);
  });

  it('reads per-channel quantization', () => {
    const model = read(tiny((m) => {
      m.subgraphs[0].tensors![1] = {
        name: 'weights', type: TensorType.int8, shape: [2, 1, 1, 2], buffer: 1,
        quantization: { scale: [0.5, 0.25], zero_point: [0, 0], quantized_dimension: 0 },
      };
    }));
    expect(model.tensors[1].quantization).toEqual({ scale: [0.5, 0.25], zeroPoint: [0, 0], quantizedDimension: 0 });
  });

  it('treats an empty quantization table (float tensors) as none', () => {
    const model = read(tiny((m) => { m.subgraphs[0].tensors![0].quantization = { min: [-1], max: [1] }; }));
    expect(model.tensors[0].quantization).toBeNull();
  });

  it('reads data stored outside the flatbuffer through offset and size', () => {
    const payload = new Uint8Array([1, 2, 3, 4]);
    const spec = tiny((m) => { m.buffers![1] = { offset: 2n, size: 4n }; });
    const length = encodeModel(spec).length;
    spec.buffers![1].offset = BigInt(length);
    const bytes = new Uint8Array([...encodeModel(spec), ...payload]);
    expect([...read(bytes).tensors[1].data!]).toEqual([1, 2, 3, 4]);

    spec.buffers![1].size = 5n;
    const short = new Uint8Array([...encodeModel(spec), ...payload]);
    expectError(short, /tensor 1 'weights': buffer 1: size: 5 bytes at offset \d+ run past the end of the file/);
  });
});

describe('operator codes', () => {
  const named = (codes: ModelSpec['operator_codes']) =>
    read({ ...oneOp(0), operator_codes: codes }).operators[0];

  it('takes the larger of the deprecated int8 code and the int32 code', () => {
    expect(named([{ deprecated_builtin_code: 127, builtin_code: 150 }])).toMatchObject({ code: 150, name: 'GELU' });
    // Files written before builtin_code existed have only the int8 field.
    expect(named([{ deprecated_builtin_code: 6 }])).toMatchObject({ code: 6, name: 'DEQUANTIZE' });
    expect(named([{ builtin_code: 114 }])).toMatchObject({ code: 114, name: 'QUANTIZE', options: { kind: 'none' } });
  });

  it('names unknown and custom operators', () => {
    expect(named([{ deprecated_builtin_code: 127, builtin_code: 250 }]).name).toBe('BUILTIN_250');
    expect(named([{ builtin_code: 32, custom_code: 'TFLite_Detection_PostProcess' }]).name)
      .toBe('CUSTOM:TFLite_Detection_PostProcess');
  });

  it('rejects negative codes and indices past the table', () => {
    expectError({ ...oneOp(0), operator_codes: [{ deprecated_builtin_code: -3, builtin_code: -5 }] },
      /operator code 0: builtin_code: -3 is not an operator code/);
    expectError(tiny((m) => { m.subgraphs[0].operators![0].opcode_index = 5; }),
      /operator 0: opcode_index: 5 out of range \(file has 1 operator codes\)/);
  });
});

describe('builtin options', () => {
  const options = (code: number, type: number, fields: OperatorSpec['builtin_options']) =>
    read(oneOp(code, { builtin_options_type: type, builtin_options: fields })).operators[0].options;

  it('decodes each field from its own slot', () => {
    // Distinct values in every slot catch a field read from its neighbour's id.
    expect(options(3, 1, [[0, 'int8', 0], [1, 'int32', 2], [2, 'int32', 3], [3, 'int8', 1], [4, 'int32', 4], [5, 'int32', 5]]))
      .toEqual({ kind: 'conv2d', padding: 'SAME', strideW: 2, strideH: 3, activation: 'RELU', dilationW: 4, dilationH: 5 });
    expect(options(4, 2, [[0, 'int8', 1], [1, 'int32', 2], [2, 'int32', 3], [3, 'int32', 4], [4, 'int8', 3], [5, 'int32', 5], [6, 'int32', 6]]))
      .toEqual({ kind: 'depthwise', padding: 'VALID', strideW: 2, strideH: 3, depthMultiplier: 4, activation: 'RELU6', dilationW: 5, dilationH: 6 });
    expect(options(1, 5, [[0, 'int8', 1], [1, 'int32', 2], [2, 'int32', 3], [3, 'int32', 4], [4, 'int32', 5], [5, 'int8', 2]]))
      .toEqual({ kind: 'pool2d', padding: 'VALID', strideW: 2, strideH: 3, filterWidth: 4, filterHeight: 5, activation: 'RELU_N1_TO_1' });
    expect(options(17, 5, [[1, 'int32', 1], [2, 'int32', 1], [3, 'int32', 2], [4, 'int32', 2]]))
      .toMatchObject({ kind: 'pool2d', padding: 'SAME', activation: 'NONE' });
    expect(options(9, 8, [[0, 'int8', 1], [1, 'int8', 1], [2, 'bool', 1]]))
      .toEqual({ kind: 'fullyConnected', activation: 'RELU', weightsFormat: 'SHUFFLED4x16INT8', keepNumDims: true });
    expect(options(25, 9, [[0, 'float32', 0.5]])).toEqual({ kind: 'softmax', beta: 0.5 });
    expect(options(0, 11, [[0, 'int8', 3]])).toEqual({ kind: 'add', activation: 'RELU6' });
    expect(options(22, 17, [[0, 'int32s', [1, -1]]])).toEqual({ kind: 'reshape', newShape: [1, -1] });
    expect(options(43, 30, [[0, 'int32s', [1, 2]]])).toEqual({ kind: 'squeeze', squeezeDims: [1, 2] });
    expect(options(40, 27, [[0, 'bool', 1]])).toEqual({ kind: 'reducer', keepDims: true });
  });

  it('uses the schema defaults for absent fields and tables', () => {
    expect(options(3, 1, [[1, 'int32', 1], [2, 'int32', 1]]))
      .toEqual({ kind: 'conv2d', padding: 'SAME', strideW: 1, strideH: 1, activation: 'NONE', dilationW: 1, dilationH: 1 });
    expect(read(oneOp(22)).operators[0].options).toEqual({ kind: 'reshape', newShape: null });
    expect(read(oneOp(43)).operators[0].options).toEqual({ kind: 'squeeze', squeezeDims: [] });
    expect(read(oneOp(40)).operators[0].options).toEqual({ kind: 'reducer', keepDims: false });
    expect(read(oneOp(0)).operators[0].options).toEqual({ kind: 'add', activation: 'NONE' });
    expect(read(oneOp(25)).operators[0].options).toEqual({ kind: 'softmax', beta: 0 });
  });

  it('rejects values no kernel can run with', () => {
    expectError(oneOp(3, { builtin_options_type: 1, builtin_options: [[1, 'int32', 0], [2, 'int32', 1]] }),
      /operator 0 CONV_2D Conv2DOptions: stride_w: 0 is not a valid value \(must be at least 1\)$/);
    expectError(oneOp(3), /operator 0 CONV_2D Conv2DOptions: stride_w: 0 is not a valid value .*\(no options given\)/);
    expectError(oneOp(4, { builtin_options_type: 2, builtin_options: [[1, 'int32', 1], [2, 'int32', 1], [5, 'int32', -2]] }),
      /operator 0 DEPTHWISE_CONV_2D DepthwiseConv2DOptions: dilation_w_factor: -2 is not a valid value/);
    expectError(oneOp(1, { builtin_options_type: 5, builtin_options: [[1, 'int32', 1], [2, 'int32', 1], [3, 'int32', 0], [4, 'int32', 2]] }),
      /AVERAGE_POOL_2D Pool2DOptions: filter_width: 0 is not a valid value/);
    expectError(oneOp(3, { builtin_options_type: 1, builtin_options: [[1, 'int32', 1], [2, 'int32', 1], [3, 'int8', 9]] }),
      /CONV_2D Conv2DOptions: fused_activation_function: unknown value 9/);
    expectError(oneOp(3, { builtin_options_type: 1, builtin_options: [[0, 'int8', 2], [1, 'int32', 1], [2, 'int32', 1]] }),
      /CONV_2D Conv2DOptions: padding: unknown value 2/);
    expectError(oneOp(9, { builtin_options_type: 8, builtin_options: [[1, 'int8', 7]] }),
      /FULLY_CONNECTED FullyConnectedOptions: weights_format: unknown value 7/);
    expectError(oneOp(25, { builtin_options_type: 9, builtin_options: [[0, 'float32', Infinity]] }),
      /SOFTMAX SoftmaxOptions: beta: Infinity is not a finite number/);
  });

  it('rejects options of another operator', () => {
    expectError(oneOp(3, { builtin_options_type: 9, builtin_options: [[0, 'float32', 1]] }),
      /operator 0 CONV_2D: builtin_options_type: SoftmaxOptions given where Conv2DOptions belong/);
    expectError(oneOp(3, { builtin_options_type: 200, builtin_options: [] }),
      /BuiltinOptions type 200 given where Conv2DOptions belong/);
  });
});

describe('tensors', () => {
  it('checks buffer indices', () => {
    expectError(tiny((m) => { m.subgraphs[0].tensors![1].buffer = 40; }),
      /^models\/tiny\.tflite: tensor 1 'weights': buffer 40 out of range \(file has 3 buffers\)$/);
  });

  it('checks that a constant buffer holds its whole tensor', () => {
    expectError(tiny((m) => { m.subgraphs[0].tensors![1].shape = [2, 1, 1, 4]; }),
      /tensor 1 'weights': buffer: buffer 1 holds 4 bytes, but uint8 \[2, 1, 1, 4\] needs 8$/);
    expectError(tiny((m) => { m.subgraphs[0].tensors![2].type = TensorType.float32; m.subgraphs[0].tensors![2].shape = [3]; }),
      /tensor 2 'bias': buffer: buffer 2 holds 8 bytes, but float32 \[3\] needs 12/);
  });

  it('checks shapes', () => {
    expectError(tiny((m) => { m.subgraphs[0].tensors![0].shape = [1, -4, 4, 2]; }),
      /tensor 0 'input': shape: \[1, -4, 4, 2\] has a negative dimension/);
    expectError(tiny((m) => { m.subgraphs[0].tensors![3].shape = [65536, 65536, 65536, 65536]; }),
      /tensor 3 'output': shape: uint8 \[65536, 65536, 65536, 65536\] needs more than 2147483647 bytes/);
    // A zero anywhere means no elements, however large the other dimensions.
    expect(read(tiny((m) => { m.subgraphs[0].tensors![3].shape = [0, 2147483647, 2147483647]; })).tensors[3].shape)
      .toEqual([0, 2147483647, 2147483647]);
  });

  it('checks types', () => {
    expectError(tiny((m) => { m.subgraphs[0].tensors![0].type = 42; }), /tensor 0 'input': type: 42 is not a tensor type/);
    expectError(tiny((m) => { m.subgraphs[0].tensors![0].type = 18; }), /tensor 0 'input': type: type BFLOAT16 is not supported/);
    expectError(tiny((m) => { m.subgraphs[0].tensors![0].type = -1; }), /type: -1 is not a tensor type/);
  });

  it('rejects sparse tensors, which it cannot represent', () => {
    expectError(tiny((m) => { m.subgraphs[0].tensors![1].sparse = true; }), /tensor 1 'weights': sparsity: sparse tensors are not supported/);
  });

  it('quotes names safely', () => {
    const error = expectError(tiny((m) => {
      m.subgraphs[0].tensors![1].name = `evil\nname${'x'.repeat(500)}`;
      m.subgraphs[0].tensors![1].buffer = 9;
    }), /tensor 1 'evil\?namex+\.\.\.': buffer 9 out of range/);
    expect(error.message.length).toBeLessThan(200);
  });
});

describe('quantization', () => {
  const withWeights = (q: QuantizationSpec, type: number = TensorType.int8) =>
    tiny((m) => { Object.assign(m.subgraphs[0].tensors![1], { type, quantization: q }); });

  it('requires as many zero points as scales', () => {
    expectError(withWeights({ scale: [0.5, 0.25], zero_point: [0] }),
      /tensor 1 'weights': quantization: zero_point: 1 zero points for 2 scales/);
    expectError(withWeights({ scale: [0.5] }), /zero_point: 0 zero points for 1 scales/);
  });

  it('requires per-channel arrays to match the quantized dimension', () => {
    expectError(withWeights({ scale: [1, 1, 1], zero_point: [0, 0, 0], quantized_dimension: 0 }),
      /tensor 1 'weights': quantization: scale: 3 per-channel scales, but dimension 0 of \[2, 1, 1, 2\] has 2 channels/);
    expectError(withWeights({ scale: [1, 1], zero_point: [0, 0], quantized_dimension: 1 }),
      /dimension 1 of \[2, 1, 1, 2\] has 1 channels/);
    expectError(withWeights({ scale: [1], zero_point: [0], quantized_dimension: 4 }),
      /quantization: quantized_dimension: 4 is not a dimension of \[2, 1, 1, 2\]/);
    expectError(withWeights({ scale: [1], zero_point: [0], quantized_dimension: -1 }),
      /quantized_dimension: -1 is not a dimension/);
  });

  it('checks scales and zero points', () => {
    expectError(withWeights({ scale: [1, NaN], zero_point: [0, 0] }), /scale: scale 1 is NaN/);
    expectError(withWeights({ scale: [-1], zero_point: [0] }), /scale: scale 0 is -1 \(must be finite and not negative\)/);
    expectError(withWeights({ scale: [1], zero_point: [300] }, TensorType.uint8),
      /zero_point: zero point 300 is outside the uint8 range 0\.\.255/);
    expectError(withWeights({ scale: [1], zero_point: [-129] }), /zero point -129 is outside the int8 range -128\.\.127/);
    expectError(withWeights({ scale: [1], zero_point: [2n ** 40n] }), /zero_point: entry 0 does not fit in 32 bits/);
  });

  it('rejects custom quantization, which it cannot represent', () => {
    expectError(withWeights({ scale: [1], zero_point: [0], details_type: 1 }), /quantization: details: custom quantization is not supported/);
  });
});

describe('graph indices', () => {
  it('checks operator inputs and outputs', () => {
    expectError(tiny((m) => { m.subgraphs[0].operators![0].inputs = [0, 9, 2]; }),
      /operator 0 CONV_2D: inputs: entry 1 is tensor 9, out of range \(subgraph has 4 tensors\)/);
    expectError(tiny((m) => { m.subgraphs[0].operators![0].inputs = [0, -2, 2]; }), /inputs: entry 1 is tensor -2/);
    expectError(tiny((m) => { m.subgraphs[0].operators![0].outputs = [-1]; }),
      /operator 0 CONV_2D: outputs: entry 0 is tensor -1, out of range/);
  });

  it('checks subgraph inputs and outputs', () => {
    expectError(tiny((m) => { m.subgraphs[0].inputs = [7]; }), /subgraph 0: inputs: entry 0 is tensor 7, out of range \(subgraph has 4 tensors\)/);
    expectError(tiny((m) => { m.subgraphs[0].outputs = [3, -1]; }), /subgraph 0: outputs: entry 1 is tensor -1/);
  });

  it('requires a main graph and schema version 3', () => {
    expectError(tiny((m) => { m.subgraphs = []; }), /model: subgraphs: the model has no subgraphs \(its main graph is missing\)/);
    expectError(tiny((m) => { delete (m as ModelSpec).subgraphs; }), /the model has no subgraphs/);
    expectError(tiny((m) => { m.version = 2; }), /model: version: schema version 2 is not supported \(expected 3\)/);
  });
});

describe('metadata', () => {
  it('lists metadata names and survives a damaged metadata entry with a warning', () => {
    const model = read(tiny((m) => { m.metadata = [{ name: 'min_runtime_version', buffer: 1 }, { name: 'TFLITE_METADATA', buffer: 99 }]; }));
    expect(model.metadataNames).toEqual(['min_runtime_version', 'TFLITE_METADATA']);
    expect(model.labels).toBeNull();
    expect(model.warnings).toEqual([expect.stringMatching(/metadata unreadable \(metadata 1 'TFLITE_METADATA': buffer 99 out of range \(file has 3 buffers\)\)/)]);
  });
});

describe('structural damage', () => {
  it('rejects a vector that claims more entries than the file holds, before allocating', () => {
    const bytes = encodeModel(tinyModel());
    const at = Buffer.from(bytes).indexOf('tiny') - 4;
    new DataView(bytes.buffer).setUint32(at, 0xffffffff, true);
    expectError(bytes, new RegExp(`model: description: string of 4294967295 bytes at byte ${at} runs past the end of the file`));
  });

  it('stops a small file whose tables share one huge table, in bounded time and memory', () => {
    // 200,000 tensors that are all one tensor with 20,000 scales: 1 MB of file, 4e9
    // numbers if decoded naively.
    const b = new Builder(1 << 20);
    const channels = 20_000;
    b.startVector(4, channels, 4);
    for (let i = 0; i < channels; i++) b.addFloat32(1);
    const scale = b.endVector();
    b.startVector(8, channels, 8);
    for (let i = 0; i < channels; i++) b.addInt64(0n);
    const zeroPoint = b.endVector();
    b.startObject(7);
    b.addFieldOffset(2, scale, 0);
    b.addFieldOffset(3, zeroPoint, 0);
    const quant = b.endObject();
    b.startVector(4, 1, 4);
    b.addInt32(channels);
    const shape = b.endVector();
    b.startObject(5);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, TensorType.int8, -1);
    b.addFieldOffset(4, quant, 0);
    const tensor = b.endObject();
    const count = 200_000;
    b.startVector(4, count, 4);
    for (let i = 0; i < count; i++) b.addOffset(tensor);
    const tensors = b.endVector();
    b.startObject(1);
    b.addFieldOffset(0, tensors, 0);
    const subgraph = b.endObject();
    b.startVector(4, 1, 4);
    b.addOffset(subgraph);
    const subgraphs = b.endVector();
    b.startObject(3);
    b.addFieldInt32(0, 3, 0);
    b.addFieldOffset(2, subgraphs, 0);
    b.finish(b.endObject(), 'TFL3');
    const bytes = b.asUint8Array().slice();

    const start = performance.now();
    expectError(bytes, /tensor \d+ '': quantization: \w+: the tables reference each other far more often than a file of \d+ bytes can hold/);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
