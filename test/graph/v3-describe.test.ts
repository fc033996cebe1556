// What inspect and bench show for the V3 operators: MUL counts one multiply per output
// element, and each new step describes its shapes.
import { describe, expect, it } from 'vitest';
import { describeStep } from '../../kernels/graph/describe.js';
import { planModel } from '../../kernels/graph/plan.js';
import { summarizeModel } from '../../kernels/model-summary.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { Rng } from '../support/rng.js';
import { argMaxModel, bottleneckModel, resizeModel, splitModel } from '../support/v3-models.js';

describe('inspect and bench on the V3 operators', () => {
  const model = readModel(bottleneckModel(new Rng(1), 'int8', 14, 14, 24, 72, 24).bytes, 'bottleneck');

  it('a squeeze-and-excite MUL counts its output elements as MACs, in inspect and in the plan', () => {
    const summary = summarizeModel(model);
    const mul = summary.layers.find((l) => l.op === 'MUL')!;
    expect(mul.macs).toBe(14 * 14 * 72);
    expect(mul.inputShapes).toEqual([[1, 14, 14, 72], [1, 1, 1, 72]]);
    const step = planModel(model).steps.find((s) => s.kind === 'mul')!;
    expect(step.macs).toBe(14 * 14 * 72);
    expect(describeStep(step)).toBe('196x72 * 1x72 -> 196x72');
  });

  it('lookup, resize, split and arg max steps describe their shapes', () => {
    const kinds = (m: { bytes: Uint8Array }) => planModel(readModel(m.bytes, 'm')).steps.map((s) => [s.operator.name, describeStep(s)]);
    expect(kinds(bottleneckModel(new Rng(2), 'uint8', 7, 7, 16, 64, 16)).find(([op]) => op === 'HARD_SWISH')).toEqual(['HARD_SWISH', String(7 * 7 * 64)]);
    const rng = new Rng(3);
    expect(kinds(resizeModel(rng, 'uint8', true, [5, 7, 3], [11, 13], 'half'))).toEqual([['RESIZE_BILINEAR', '5x7x3 -> 11x13x3 half_pixel']]);
    expect(kinds(resizeModel(rng, 'int8', false, [5, 7, 3], [11, 13], 'align'))).toEqual([['RESIZE_NEAREST_NEIGHBOR', '5x7x3 -> 11x13x3 align_corners']]);
    expect(kinds(splitModel(rng, 'uint8', [4, 6, 8], 3, 2)).slice(0, 2)).toEqual([['SPLIT', '24x8 -> 24x4'], ['SPLIT', '24x8 -> 24x4']]);
    expect(kinds(argMaxModel(rng, 'uint8', [1, 5, 7, 21], 3))).toEqual([['ARG_MAX', '35x21x1 -> 35x1']]);
  });
});
