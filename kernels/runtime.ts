import { selectEngine, type EngineChoice } from './engine.js';
import { Executor, type OutputValues, type TensorValues } from './graph/executor.js';
import { planModel, type Plan } from './graph/plan.js';
import type { KernelSet } from './kernel-set.js';
import { loadModelFile } from './tflite/reader.js';

export interface RuntimeOptions {
  engine?: EngineChoice;
  threads?: number;
}

/**
 * A loaded model ready to run on the calling thread: the plan, its kernels and its arena.
 * Runs block; InferenceSession (session.ts) runs one of these on a worker thread.
 */
export class Runtime {
  private readonly executor: Executor;

  constructor(readonly plan: Plan, kernels: KernelSet, readonly fallbackReason: string | null = null) {
    this.executor = new Executor(plan, kernels);
  }

  get engine(): string {
    return this.executor.kernels.name;
  }

  /** [height, width, channels] of the image input. */
  get inputShape(): [number, number, number] {
    const s = this.plan.input.tensor.shape;
    return [s[1], s[2], s[3]];
  }

  /** The output tensor as stored: quantized integers, or floats for a float output. */
  run(input: TensorValues): OutputValues {
    this.executor.setInput(input);
    this.executor.run();
    return this.executor.output();
  }

  /** Every graph output as stored, in the model's order (a detector has four). */
  runOutputs(input: TensorValues): OutputValues[] {
    this.executor.setInput(input);
    this.executor.run();
    return this.executor.outputs();
  }

  /** Runs once and returns per-step milliseconds with the outputs. */
  runProfiled(input: TensorValues): { raw: OutputValues; outputs: OutputValues[]; stepMs: number[] } {
    this.executor.setInput(input);
    const stepMs = this.executor.runProfiled();
    const outputs = this.executor.outputs();
    return { raw: outputs[0], outputs, stepMs };
  }
}

export async function loadRuntime(file: string, options: RuntimeOptions = {}): Promise<Runtime> {
  const model = await loadModelFile(file);
  const plan = planModel(model);
  const { kernels, fallbackReason } = await selectEngine(options.engine ?? 'auto', options.threads ?? 1);
  return new Runtime(plan, kernels, fallbackReason);
}
