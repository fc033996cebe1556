// Where both layer-by-layer checks start: a shipped model planned on one kernel set, with
// a test image as its input, ready to be stepped through.
import { Executor } from '../../kernels/graph/executor.js';
import { planModel } from '../../kernels/graph/plan.js';
import type { KernelSet } from '../../kernels/kernel-set.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import { imageToTensor } from '../../agent/pipeline/preprocess.js';
import { imagePath, modelPath } from '../support/paths.js';

export async function executorOnImage(name: string, kernels: KernelSet, image: string) {
  const model = await loadModelFile(modelPath(name));
  const plan = planModel(model);
  const executor = new Executor(plan, kernels);
  const [, height, width, channels] = plan.input.tensor.shape;
  executor.setInput(await imageToTensor(imagePath(image), { height, width, channels, type: plan.input.tensor.type }, image));
  return { model, plan, executor };
}
