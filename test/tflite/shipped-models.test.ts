// The four shipped models, read for real: operator sequences, shapes, quantization and
// labels, cross-checked against each other (shapes along the graph, bias scales against
// input and weight scales), against the label file shipped beside them, and against
// TensorFlow Lite itself (the wasm runtime's view of the inputs and outputs).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import type { Model, Tensor } from '../../kernels/tflite/model-types.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';

const modelUrl = (name: string) => new URL(`../../models/${name}`, import.meta.url);

const V1_SMALL = 'mobilenet_v1_0.25_128_quant.tflite';
const V1_EMBEDDING = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const V2 = 'mobilenet_v2_1.0_224_quant.tflite';
const V2_PTQ = 'tf2_mobilenet_v2_1.0_224_ptq.tflite';

const expected = {
  [V1_SMALL]: {
    operators: 31, first: 'CONV_2D', last: 'SOFTMAX', counts: { CONV_2D: 15, DEPTHWISE_CONV_2D: 13, AVERAGE_POOL_2D: 1, RESHAPE: 1, SOFTMAX: 1 },
    input: { shape: [1, 128, 128, 3], type: 'uint8', scale: 0.0078125, zeroPoint: 128 },
    output: { shape: [1, 1001], type: 'uint8', scale: 1 / 256, zeroPoint: 0 },
    labels: true,
  },
  [V1_EMBEDDING]: {
    operators: 28, first: 'CONV_2D', last: 'AVERAGE_POOL_2D', counts: { CONV_2D: 14, DEPTHWISE_CONV_2D: 13, AVERAGE_POOL_2D: 1 },
    input: { shape: [1, 224, 224, 3], type: 'uint8', scale: 0.0078125, zeroPoint: 128 },
    output: { shape: [1, 1, 1, 1024], type: 'uint8', zeroPoint: 0 },
    labels: false,
  },
  [V2]: {
    operators: 66, first: 'CONV_2D', last: 'SOFTMAX', counts: { CONV_2D: 36, DEPTHWISE_CONV_2D: 17, ADD: 10, AVERAGE_POOL_2D: 1, RESHAPE: 1, SOFTMAX: 1 },
    input: { shape: [1, 224, 224, 3], type: 'uint8', scale: 0.0078125, zeroPoint: 128 },
    output: { shape: [1, 1001], type: 'uint8', scale: 1 / 256, zeroPoint: 0 },
    labels: true,
  },
  // TF2 post-training quantization: int8 inside, QUANTIZE to and from uint8 at the ends.
  [V2_PTQ]: {
    operators: 68, first: 'QUANTIZE', last: 'QUANTIZE', counts: { QUANTIZE: 2, CONV_2D: 36, DEPTHWISE_CONV_2D: 17, ADD: 10, MEAN: 1, RESHAPE: 1, SOFTMAX: 1 },
    input: { shape: [1, 224, 224, 3], type: 'uint8', scale: 2 / 255, zeroPoint: 127 },
    output: { shape: [1, 1001], type: 'uint8', scale: 1 / 256, zeroPoint: 0 },
    labels: true,
  },
} as const;

const models = new Map<string, Model>();
const shippedLabels = readFileSync(modelUrl('imagenet_labels.txt'), 'utf8').split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');

beforeAll(async () => {
  for (const name of Object.keys(expected)) models.set(name, await loadModelFile(fileURLToPath(modelUrl(name))));
});

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const tensorOf = (model: Model, index: number): Tensor => model.tensors[index];

describe.each(Object.entries(expected))('%s', (name, want) => {
  const model = () => models.get(name)!;

  it('has the expected operator sequence', () => {
    const ops = model().operators;
    expect(ops).toHaveLength(want.operators);
    expect(ops[0].name).toBe(want.first);
    expect(ops.at(-1)!.name).toBe(want.last);
    const counts: Record<string, number> = {};
    for (const op of ops) counts[op.name] = (counts[op.name] ?? 0) + 1;
    expect(counts).toEqual(want.counts);
    expect(ops.map((op) => op.index)).toEqual(ops.map((_, i) => i));
    expect(model().subgraphCount).toBe(1);
    expect(model().version).toBe(3);
    expect(model().warnings).toEqual([]);
  });

  it('has the expected input and output', () => {
    expect(model().inputs).toHaveLength(1);
    expect(model().outputs).toHaveLength(1);
    for (const [index, spec] of [[model().inputs[0], want.input], [model().outputs[0], want.output]] as const) {
      const tensor = tensorOf(model(), index);
      expect(tensor.shape).toEqual(spec.shape);
      expect(tensor.type).toBe(spec.type);
      expect(tensor.data).toBeNull();
      expect(tensor.quantization!.scale).toHaveLength(1);
      expect(tensor.quantization!.zeroPoint).toEqual([spec.zeroPoint]);
      if ('scale' in spec) expect(tensor.quantization!.scale[0]).toBeCloseTo(spec.scale, 7);
    }
  });

  it('has shapes that agree along every convolution', () => {
    for (const op of model().operators) {
      if (op.name !== 'CONV_2D' && op.name !== 'DEPTHWISE_CONV_2D') continue;
      const [input, weights, bias] = op.inputs.map((i) => tensorOf(model(), i));
      const output = tensorOf(model(), op.outputs[0]);
      const channels = op.name === 'CONV_2D' ? weights.shape[0] : weights.shape[3];
      expect(weights.shape).toHaveLength(4);
      if (op.name === 'CONV_2D') expect(weights.shape[3]).toBe(input.shape[3]);
      else expect(weights.shape[3]).toBe(input.shape[3] * (op.options.kind === 'depthwise' ? op.options.depthMultiplier : NaN));
      expect(output.shape[3]).toBe(channels);
      expect(bias.shape).toEqual([channels]);
      expect(bias.type).toBe('int32');
      expect(weights.data!.length).toBe(product(weights.shape));
      expect(bias.data!.length).toBe(4 * channels);
      // TFLite's quantized convolution requires bias scale = input scale x weight scale.
      const inputScale = input.quantization!.scale[0];
      const weightScales = weights.quantization!.scale;
      bias.quantization!.scale.forEach((s, c) => {
        expect(s / (inputScale * weightScales[weightScales.length === 1 ? 0 : c])).toBeCloseTo(1, 4);
      });
    }
  });

  it(want.labels ? 'carries the ImageNet labels' : 'carries no labels', () => {
    if (!want.labels) {
      expect(model().labels).toBeNull();
      return;
    }
    const labels = model().labels!;
    expect(labels).toHaveLength(1001);
    expect(labels[0]).toBe('background');
    expect(labels[286]).toBe('Egyptian cat');
    expect(labels).toEqual(shippedLabels);
    expect(model().metadataNames).toContain('TFLITE_METADATA');
  });

  it('agrees with TensorFlow Lite on the input and output tensors', async () => {
    const bytes = readFileSync(modelUrl(name));
    const runner = await TfliteWasmRunner.create(bytes);
    try {
      const input = tensorOf(model(), model().inputs[0]);
      const output = tensorOf(model(), model().outputs[0]);
      expect(runner.input().length).toBe(product(input.shape));
      expect(runner.input()).toBeInstanceOf(input.type === 'uint8' ? Uint8Array : Int8Array);
      expect(runner.output().length).toBe(product(output.shape));
      expect(runner.output()).toBeInstanceOf(output.type === 'uint8' ? Uint8Array : Int8Array);
    } finally {
      runner.close();
    }
  });
});

describe('the options of the shipped models', () => {
  it('reads MobileNet v1 convolution and pooling options', () => {
    const ops = models.get(V1_SMALL)!.operators;
    expect(ops[0].options).toEqual({
      kind: 'conv2d', padding: 'SAME', strideW: 2, strideH: 2, activation: 'RELU6', dilationW: 1, dilationH: 1,
    });
    expect(ops[1].options).toEqual({
      kind: 'depthwise', padding: 'SAME', strideW: 1, strideH: 1, depthMultiplier: 1, activation: 'RELU6', dilationW: 1, dilationH: 1,
    });
    // MobileNet v1 downsamples in its depthwise layers 2, 4, 6 and 12.
    const strides = ops.filter((op) => op.name === 'DEPTHWISE_CONV_2D').map((op) => (op.options.kind === 'depthwise' ? op.options.strideW : 0));
    expect(strides).toEqual([1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]);
    const pool = ops.find((op) => op.name === 'AVERAGE_POOL_2D')!;
    expect(pool.options).toEqual({ kind: 'pool2d', padding: 'VALID', strideW: 2, strideH: 2, filterWidth: 4, filterHeight: 4, activation: 'NONE' });
    expect(ops.at(-1)!.options).toEqual({ kind: 'softmax', beta: 1 });
    expect(ops.at(-2)!.options).toMatchObject({ kind: 'reshape' });
  });

  it('reads the v2 residual additions and the TF2 mean', () => {
    const add = models.get(V2)!.operators.find((op) => op.name === 'ADD')!;
    expect(add.options).toEqual({ kind: 'add', activation: 'NONE' });
    const mean = models.get(V2_PTQ)!.operators.find((op) => op.name === 'MEAN')!;
    expect(mean.options).toEqual({ kind: 'reducer', keepDims: true });
  });
});

describe('per-channel quantization in the TF2 model', () => {
  it('quantizes conv weights per output channel (dimension 0) and depthwise weights per channel (dimension 3)', () => {
    const model = models.get(V2_PTQ)!;
    let convs = 0;
    let depthwises = 0;
    for (const op of model.operators) {
      if (op.name !== 'CONV_2D' && op.name !== 'DEPTHWISE_CONV_2D') continue;
      const weights = tensorOf(model, op.inputs[1]);
      const bias = tensorOf(model, op.inputs[2]);
      const dimension = op.name === 'CONV_2D' ? 0 : 3;
      expect(weights.type).toBe('int8');
      expect(weights.quantization!.quantizedDimension).toBe(dimension);
      expect(weights.quantization!.scale).toHaveLength(weights.shape[dimension]);
      expect(weights.quantization!.scale.length).toBeGreaterThan(1);
      expect(weights.quantization!.zeroPoint.every((z) => z === 0)).toBe(true);
      expect(bias.quantization!.scale).toHaveLength(weights.shape[dimension]);
      if (op.name === 'CONV_2D') convs++;
      else depthwises++;
    }
    expect([convs, depthwises]).toEqual([36, 17]);
    const first = tensorOf(model, model.operators[1].inputs[1]);
    expect(first.shape).toEqual([32, 3, 3, 3]);
  });

  it('keeps int8 activations between the QUANTIZE operators', () => {
    const model = models.get(V2_PTQ)!;
    const inner = tensorOf(model, model.operators[0].outputs[0]);
    expect(inner.type).toBe('int8');
    expect(inner.shape).toEqual([1, 224, 224, 3]);
  });
});
