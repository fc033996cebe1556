import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const modelsDir = `${repoRoot}models`;
export const imagesDir = `${repoRoot}samples`;
export const cli = `${repoRoot}bin/edge-agent`;

export const shippedModels = readdirSync(modelsDir).filter((f) => f.endsWith('.tflite')).sort();
/** The shipped object detectors (SSD, ending in TFLite_Detection_PostProcess); the other models are classifiers. */
export const shippedDetectors = shippedModels.filter((f) => f.startsWith('ssd_'));
export const shippedClassifiers = shippedModels.filter((f) => !shippedDetectors.includes(f));
export const testImages = readdirSync(imagesDir).sort();

export const modelPath = (name: string): string => `${modelsDir}/${name}`;
export const imagePath = (name: string): string => `${imagesDir}/${name}`;
