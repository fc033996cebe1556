import type { BinaryKernel } from '../../kernel-set.js';
import type { Tensor } from '../../tflite/model-types.js';
import { describeTensor } from '../quantized-tensor.js';
import type { Lowered } from '../steps.js';
import { elementCount, type LoweringContext } from './context.js';

/**
 * ADD or MUL with a constant scalar operand (hard-sigmoid's + 3 and / 6 as the converter
 * writes them): with one operand byte fixed, the output depends on the other byte only,
 * so the reference kernel (which defines the arithmetic, operands in the operator's
 * order) is run once over every byte and the step becomes a lookup.
 */
export function constantScalarLookup(ctx: LoweringContext, a: Tensor, b: Tensor, y: Tensor, kernel: (size: number) => BinaryKernel): Lowered {
  if (a.data && b.data) ctx.fail('both inputs are constant');
  const [x, c] = a.data ? [b, a] : [a, b];
  if (elementCount(c) !== 1) {
    ctx.fail(`constant ${describeTensor(c)} has ${elementCount(c)} values; only a constant scalar operand is supported`);
  }
  const size = elementCount(y);
  if (elementCount(x) !== size) ctx.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
  const every = Uint8Array.from({ length: 256 }, (_, v) => v);
  const constant = new Uint8Array(256).fill(c.data![0] ^ (c.type === 'int8' ? 0x80 : 0));
  const table = new Uint8Array(256);
  kernel(256).run(x === a ? every : constant, x === a ? constant : every, table);
  return ctx.step([x], y, { kind: 'lookup', params: { size, table } }, size);
}
