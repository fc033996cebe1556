import type { DetectionInfo } from '../../kernels/model-info.js';
import { labelOf } from './classification.js';

export interface Detection {
  /** The model's class number (COCO's detector: 0 is person). */
  index: number;
  label: string;
  score: number;
  /** [ymin, xmin, ymax, xmax] exactly as the model gives it: normalized to the input, not clamped. */
  box: number[];
}

/** The detections of one run at or above `minScore`, in the model's order (best first). */
export function detections(outputs: ArrayLike<number>[], d: DetectionInfo, minScore: number, labels: readonly string[] | null): Detection[] {
  const boxes = outputs[d.outputs.boxes];
  const classes = outputs[d.outputs.classes];
  const scores = outputs[d.outputs.scores];
  const count = Math.min(outputs[d.outputs.count][0], d.maxDetections);
  const found: Detection[] = [];
  for (let i = 0; i < count; i++) {
    if (!(scores[i] >= minScore)) continue;
    const index = classes[i];
    found.push({ index, label: labelOf(index, labels), score: scores[i], box: Array.from({ length: 4 }, (_, k) => boxes[4 * i + k]) });
  }
  return found;
}
