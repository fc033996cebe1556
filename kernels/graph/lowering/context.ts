import type { Model, Operator, Tensor } from '../../tflite/model-types.js';
import { activationRange, type ClampRange } from '../activation-range.js';
import { describeTensor, fail, type ActivationQuant } from '../quantized-tensor.js';
import type { Activation } from '../../tflite/model-types.js';

/** What every lowering function needs: the model, the operator, and error reporting. */
export class LoweringContext {
  constructor(readonly model: Model, readonly op: Operator) {}

  fail(message: string): never {
    fail(this.model, `operator ${this.op.index} (${this.op.name}): ${message}`);
  }

  tensor(index: number, role: string): Tensor {
    const t = this.model.tensors[index];
    if (index < 0 || !t) this.fail(`${role} is missing`);
    return t;
  }

  input(position: number, role = `input ${position}`): Tensor {
    return this.tensor(this.op.inputs[position] ?? -1, role);
  }

  output(position = 0): Tensor {
    return this.tensor(this.op.outputs[position] ?? -1, `output ${position}`);
  }

  /** Shape as [H, W, C] of a batch-1 NHWC tensor. */
  nhwc(t: Tensor, role: string): [number, number, number] {
    if (t.shape.length !== 4) this.fail(`${role} ${describeTensor(t)} has shape [${t.shape}]; expected 4-D NHWC`);
    if (t.shape[0] !== 1) this.fail(`${role} ${describeTensor(t)} has batch ${t.shape[0]}; only batch 1 is supported`);
    return [t.shape[1], t.shape[2], t.shape[3]];
  }

  expectShape(t: Tensor, expected: number[]): void {
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      this.fail(`output ${describeTensor(t)} has shape [${t.shape}]; the operator produces [${expected}]`);
    }
  }

  clamp(activation: Activation, out: ActivationQuant): ClampRange {
    const range = activationRange(activation, out.type, out.scale, out.zeroPoint - (out.type === 'int8' ? 128 : 0));
    if (!range) this.fail(`fused activation ${activation} is not supported`);
    return range;
  }
}

export function elementCount(t: Tensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}
