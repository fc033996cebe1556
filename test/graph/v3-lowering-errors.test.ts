// Models the V3 operators cannot run are refused at load with a message naming the
// operator and what is wrong, never a crash at run time.
import { describe, expect, it } from 'vitest';
import { planModel } from '../../kernels/graph/plan.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { GraphBuilder, Op, Options } from '../support/graph-builder.js';

const q = { scale: 0.05, zeroPoint: 128 };
const plan = (g: GraphBuilder, inputs: number[], outputs: number[]) => () => planModel(readModel(g.encode(inputs, outputs), 'bad.tflite'));

describe('V3 operators refuse what they cannot run, at load', () => {
  it('MUL of shapes that do not broadcast, and of a constant with more than one value', () => {
    let g = new GraphBuilder();
    let x = g.activation([1, 4, 4, 8], 'uint8', q);
    const m = g.activation([1, 1, 1, 8], 'uint8', q);
    g.op(Op.MEAN, [x, g.int32s([1, 2])], [m], { type: Options.Reducer, fields: [[0, 'bool', 1]] });
    const wrong = g.activation([1, 4, 4, 3], 'uint8', q);
    g.op(Op.MUL, [m, wrong], [g.activation([1, 4, 4, 8], 'uint8', q)]);
    expect(plan(g, [x], [3])).toThrow(/operator 1 \(MUL\): inputs \[1,1,1,8\] and \[1,4,4,3\] do not broadcast together/);

    g = new GraphBuilder();
    x = g.activation([1, 2, 2, 3], 'uint8', q);
    const c = g.constant([3], 'uint8', Uint8Array.of(1, 2, 3), [0.1], [0]);
    const y = g.activation([1, 2, 2, 3], 'uint8', q);
    g.op(Op.MUL, [x, c], [y], { type: Options.Mul, fields: [[0, 'int8', 0]] });
    expect(plan(g, [x], [y])).toThrow(/operator 0 \(MUL\): constant tensor 1 'c1' has 3 values; only a constant scalar operand is supported/);
  });

  it('HARD_SWISH whose output scale is below TFLite\'s range', () => {
    const g = new GraphBuilder();
    const x = g.activation([1, 4], 'uint8', { scale: 1, zeroPoint: 0 });
    const y = g.activation([1, 4], 'uint8', { scale: 1 / 1024, zeroPoint: 0 });
    g.op(Op.HARD_SWISH, [x], [y]);
    expect(plan(g, [x], [y])).toThrow(/operator 0 \(HARD_SWISH\): input scale \/ 128 \/ output scale = .* is outside TFLite's range/);
  });

  it('SPLIT into unequal parts, and outputs quantized unlike the input', () => {
    let g = new GraphBuilder();
    let x = g.activation([1, 2, 2, 5], 'uint8', q);
    let parts = [g.activation([1, 2, 2, 2], 'uint8', q), g.activation([1, 2, 2, 2], 'uint8', q)];
    g.op(Op.SPLIT, [g.int32s([3], []), x], parts, { type: Options.Split, fields: [[0, 'int32', 2]] });
    expect(plan(g, [x], [parts[0]])).toThrow(/operator 0 \(SPLIT\): dim 5 of axis 3 does not split into 2 equal parts/);

    g = new GraphBuilder();
    x = g.activation([1, 2, 2, 4], 'uint8', q);
    parts = [g.activation([1, 2, 2, 2], 'uint8', q), g.activation([1, 2, 2, 2], 'uint8', { scale: 0.1, zeroPoint: 128 })];
    g.op(Op.SPLIT, [g.int32s([3], []), x], parts, { type: Options.Split, fields: [[0, 'int32', 2]] });
    expect(plan(g, [x], [parts[0]])).toThrow(/output 1 tensor \d+ 't\d+' is quantized differently from the input/);
  });

  it('RESIZE with both coordinate modes, a size that is not two positive values, or requantization', () => {
    const resize = (size: number[], fields: [number, 'bool', number][], out = q) => {
      const g = new GraphBuilder();
      const x = g.activation([1, 3, 3, 2], 'uint8', q);
      const y = g.activation([1, 6, 6, 2], 'uint8', out);
      g.op(Op.RESIZE_BILINEAR, [x, g.int32s(size)], [y], { type: Options.ResizeBilinear, fields });
      return plan(g, [x], [y]);
    };
    expect(resize([6, 6], [[2, 'bool', 1], [3, 'bool', 1]])).toThrow(/align_corners and half_pixel_centers cannot both be set/);
    expect(resize([6, 0], [])).toThrow(/size \[6,0\] must be two positive values/);
    expect(resize([6, 6], [], { scale: 0.1, zeroPoint: 128 })).toThrow(/RESIZE_BILINEAR\): input and output quantization differ/);
  });

  it('ARG_MAX to indices that are not int32 or int64, or along an axis the input lacks', () => {
    const argMax = (axis: number, type: 'int32' | 'uint8') => {
      const g = new GraphBuilder();
      const x = g.activation([1, 4, 6], 'uint8', q);
      const y = g.activation([1, 4], type, type === 'uint8' ? q : undefined);
      g.op(Op.ARG_MAX, [x, g.int32s([axis], [])], [y], { type: Options.ArgMax, fields: [[0, 'int8', 2]] });
      return plan(g, [x], [y]);
    };
    expect(argMax(5, 'int32')).toThrow(/operator 0 \(ARG_MAX\): axis 5 is outside the input's 3 dims/);
    expect(argMax(2, 'uint8')).toThrow(/ARG_MAX\): output tensor 1 't1' has type uint8; ARG_MAX writes int32 or int64 indices/);
  });
});
