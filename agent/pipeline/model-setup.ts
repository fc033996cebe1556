import { planModel } from '../../kernels/graph/plan.js';
import { InferenceSession } from '../../kernels/session.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import { configPath } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';
import { classCount, fitLabels, readLabelFile } from './classification.js';
import { imageInputSpec } from './preprocess.js';
import { modelName } from './pipeline.js';
import type { LoadedModel } from './supervised-model.js';

/**
 * The labels a model runs with: model.labels fitted to the model's classes (a file that
 * does not fit is refused), or the labels stored in the model.
 */
async function labelsFor(config: AgentConfig, outputShape: readonly number[], own: string[] | null): Promise<string[] | null> {
  if (config.model.labels === null) return own;
  return fitLabels(await readLabelFile(configPath(config.model.labels)), classCount(outputShape));
}

/**
 * The configured model, checked as run takes it (it reads, plans, takes images, and its
 * labels fit) without starting a worker: doctor's model check. Throws what run would.
 */
export async function checkModelSetup(config: AgentConfig): Promise<string> {
  const file = configPath(config.model.file);
  const model = await loadModelFile(file);
  const plan = planModel(model);
  const input = plan.input.tensor;
  imageInputSpec(file, { shape: input.shape, type: input.type });
  const labels = await labelsFor(config, plan.output.tensor.shape, model.labels);
  const named = labels === null ? 'no labels' : `${labels.length} labels${config.model.labels === null ? ' (stored in the model)' : ` (${configPath(config.model.labels)})`}`;
  return `${file}: ${model.operators.length} operators, input ${input.shape.join('x')} ${input.type}, ${named}, arena ${Math.round(plan.arenaBytes / 1024)} KiB`;
}

/** The configured model on its own worker, with its labels: what run starts with. */
export async function openModel(config: AgentConfig): Promise<LoadedModel> {
  const file = configPath(config.model.file);
  const session = await InferenceSession.open(file, { engine: config.model.engine, threads: config.model.threads });
  try {
    // Refused here, once, rather than as an undecodable image at every frame.
    imageInputSpec(file, session.info.input);
    const labels = await labelsFor(config, session.info.output.shape, session.info.labels);
    return { file, session, name: modelName(file), labels };
  } catch (err) {
    await session.close();
    throw err;
  }
}
