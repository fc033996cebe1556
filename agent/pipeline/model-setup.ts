import { planModel } from '../../kernels/graph/plan.js';
import { detectionInfo, type DetectionInfo } from '../../kernels/model-info.js';
import { InferenceSession } from '../../kernels/session.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import type { AgentConfig } from '../config/types.js';
import { configuredModel, type ModelChoice } from '../control/model-files.js';
import { fileSha256 } from '../control/model-store.js';
import { classCount, fitLabels, readLabelFile } from './classification.js';
import { imageInputSpec } from './preprocess.js';
import { modelName } from './pipeline.js';
import type { LoadedModel } from './supervised-model.js';

/**
 * The labels a model runs with: model.labels fitted to the model's classes (a file that
 * does not fit is refused), or the labels stored in the model.
 */
async function labelsFor(labels: string | null, classes: number, own: string[] | null): Promise<string[] | null> {
  if (labels === null) return own;
  return fitLabels(await readLabelFile(labels), classes);
}

/** A detector names its classes in its postprocess; a classifier has one score per class. */
const classesOf = (detection: DetectionInfo | null, output: readonly number[]): number => detection?.classes ?? classCount(output);

/**
 * The configured model, checked as run takes it (it reads, plans, takes images, and its
 * labels fit) without starting a worker: doctor's model check. Throws what run would.
 */
export async function checkModelSetup(config: AgentConfig, { file, labels: labelFile }: ModelChoice = configuredModel(config)): Promise<string> {
  const model = await loadModelFile(file);
  const plan = planModel(model);
  const input = plan.input.tensor;
  imageInputSpec(file, { shape: input.shape, type: input.type });
  const detection = detectionInfo({ plan });
  const labels = await labelsFor(labelFile, classesOf(detection, plan.output.tensor.shape), model.labels);
  const named = labels === null ? 'no labels' : `${labels.length} labels${labelFile === null ? ' (stored in the model)' : ` (${labelFile})`}`;
  const kind = detection ? `a detector of ${detection.classes} classes` : 'a classifier';
  return `${file}: ${kind}, ${model.operators.length} operators, input ${input.shape.join('x')} ${input.type}, ${named}, arena ${Math.round(plan.arenaBytes / 1024)} KiB`;
}

/**
 * A model on its own worker, with its labels: the configured one, which run starts with, or
 * the one a reload-model command chose.
 */
export async function openModel(config: AgentConfig, { file, labels: labelFile, name, sha256 }: ModelChoice = configuredModel(config)): Promise<LoadedModel> {
  const session = await InferenceSession.open(file, { engine: config.model.engine, threads: config.model.threads });
  try {
    // Refused here, once, rather than as an undecodable image at every frame.
    imageInputSpec(file, session.info.input);
    const labels = await labelsFor(labelFile, classesOf(session.info.detection, session.info.output.shape), session.info.labels);
    return { file, session, name: name ?? modelName(file), labels, sha256: sha256 ?? (await fileSha256(file)) };
  } catch (err) {
    await session.close();
    throw err;
  }
}
