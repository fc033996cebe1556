import type { Activation, Model, Operator, Padding, Tensor } from '../../tflite/model-types.js';
import { activationRange, type ClampRange } from '../activation-range.js';
import { windowAlongAxis, type Window } from '../geometry.js';
import { activationQuant, describeTensor, fail, type ActivationQuant } from '../quantized-tensor.js';
import type { Lowered, StepKernel } from '../steps.js';

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

  /** Quantization of the operator's activation input and output. */
  quant(x: Tensor, y: Tensor): [ActivationQuant, ActivationQuant] {
    return [activationQuant(this.model, x, 'input'), activationQuant(this.model, y, 'output')];
  }

  /** The element count shared by input and output of an elementwise operator. */
  sameSize(x: Tensor, y: Tensor): number {
    const size = elementCount(y);
    if (elementCount(x) !== size) this.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
    return size;
  }

  /** Output rows and columns of a kh x kw window sliding over an h x w input. */
  window(h: number, w: number, kh: number, kw: number, strideH: number, strideW: number, padding: Padding): [Window, Window] {
    // Weights with an empty dimension would reach the kernels, which refuse them with a RangeError.
    if (!(kh >= 1 && kw >= 1)) this.fail(`a ${kh}x${kw} window is not valid`);
    const rows = windowAlongAxis(h, kh, strideH, padding);
    const cols = windowAlongAxis(w, kw, strideW, padding);
    if (rows.output < 1 || cols.output < 1) this.fail(`a ${kh}x${kw} window does not fit a ${h}x${w} input`);
    return [rows, cols];
  }

  /** This operator as one kernel step reading `inputs` and writing `output`. */
  step(inputs: Tensor[], output: Tensor, kernel: StepKernel, macs = 0): Lowered {
    return this.multiStep(inputs, [[output, output.shape]], kernel, macs);
  }

  /** A step writing several tensors, each with the shape the operator gives it. */
  multiStep(inputs: Tensor[], outputs: [Tensor, number[]][], kernel: StepKernel, macs = 0): Lowered {
    return {
      step: {
        operator: this.op,
        inputs: inputs.map((t) => t.index),
        output: outputs[0][0].index,
        outputs: outputs.map(([t]) => t.index),
        outputShapes: outputs.map(([, shape]) => shape),
        macs,
        ...kernel,
      },
    };
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
