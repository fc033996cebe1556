import { selectEngine, type EngineChoice } from './engine.js';
import { Executor, type TensorValues } from './graph/executor.js';
import { planModel, type Plan } from './graph/plan.js';
import type { KernelSet } from './kernel-set.js';
import type { Model } from './tflite/model-types.js';
import { loadModelFile } from './tflite/reader.js';

export interface RuntimeOptions {
  engine?: EngineChoice;
  threads?: number;
}

export interface Inference {
  /** The output tensor as stored: quantized integers, or floats for a float output. */
  raw: TensorValues;
  /** The output as real numbers (dequantized). */
  values: Float32Array;
}

/** A loaded model ready to run: the plan, its kernels and its arena. */
export class Runtime {
  private readonly executor: Executor;

  constructor(readonly plan: Plan, kernels: KernelSet, readonly fallbackReason: string | null = null) {
    this.executor = new Executor(plan, kernels);
  }

  get model(): Model {
    return this.plan.model;
  }

  get engine(): string {
    return this.executor.kernels.name;
  }

  /** [height, width, channels] of the image input. */
  get inputShape(): [number, number, number] {
    const s = this.plan.input.tensor.shape;
    return [s[1], s[2], s[3]];
  }

  async run(input: TensorValues): Promise<Inference> {
    this.executor.setInput(input);
    this.executor.run();
    return this.collect();
  }

  /** Runs once and returns per-step milliseconds with the result. */
  async runProfiled(input: TensorValues): Promise<Inference & { stepMs: number[] }> {
    this.executor.setInput(input);
    const stepMs = this.executor.runProfiled();
    return { ...this.collect(), stepMs };
  }

  private collect(): Inference {
    const raw = this.executor.output();
    const q = this.plan.output.quant;
    if (!q) return { raw, values: raw as Float32Array };
    const zeroPoint = q.type === 'int8' ? q.zeroPoint - 128 : q.zeroPoint;
    const values = Float32Array.from(raw, (v) => q.scale * (v - zeroPoint));
    return { raw, values };
  }
}

export async function loadRuntime(file: string, options: RuntimeOptions = {}): Promise<Runtime> {
  const model = await loadModelFile(file);
  const plan = planModel(model);
  const { kernels, fallbackReason } = await selectEngine(options.engine ?? 'auto');
  return new Runtime(plan, kernels, fallbackReason);
}
