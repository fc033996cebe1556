// Which of one frame's detections the tracker sees, per label, as Frigate's objects.track and
// objects.filters decide it.
import type { Detection } from '../pipeline/detections.js';

/** What one label's detections must meet. */
export interface LabelFilter {
  /** A detection below this score is dropped before tracking. */
  minScore: number;
  /** The median of an object's recent scores must reach this for it to count (the tracker's damping). */
  threshold: number;
  /** Least box area, as a fraction of the frame, of the part of the box inside it. */
  minArea: number;
  /** Greatest box area, as a fraction of the frame, of the part of the box inside it. */
  maxArea: number;
}

export interface ObjectFilterOptions {
  /** The labels to follow; detections of any other label are dropped. */
  track?: readonly string[];
  /** The filter of every label, where `filters` does not say otherwise. */
  defaults?: Partial<LabelFilter>;
  /** Per label, the fields that differ from `defaults`. */
  filters?: Readonly<Record<string, Partial<LabelFilter>>>;
}

export const DEFAULT_TRACK: readonly string[] = ['person', 'car', 'dog', 'cat', 'bird'];

export const DEFAULT_LABEL_FILTER: Readonly<LabelFilter> = { minScore: 0.5, threshold: 0.7, minArea: 0, maxArea: 1 };

/** The filter `label` gets: the built-in defaults, then `defaults`, then the label's own fields. */
export function labelFilter(options: ObjectFilterOptions, label: string): LabelFilter {
  return { ...DEFAULT_LABEL_FILTER, ...options.defaults, ...options.filters?.[label] };
}

/** The box cut to the frame: the model's boxes may reach past its edges. */
export function clampBox(box: readonly number[]): number[] {
  return box.map((v) => Math.min(1, Math.max(0, v)));
}

/** Area of a [ymin, xmin, ymax, xmax] box as a fraction of the frame; 0 for an inverted box. */
export function boxArea(box: readonly number[]): number {
  const [ymin, xmin, ymax, xmax] = box;
  return Math.max(0, ymax - ymin) * Math.max(0, xmax - xmin);
}

/**
 * The detections of one frame the tracker should see, in their order. `ignored` lets masks drop
 * detections; it is asked last, about the detections every other filter kept.
 */
export function filterDetections(
  detections: readonly Detection[],
  options: ObjectFilterOptions = {},
  ignored?: (detection: Detection) => boolean,
): Detection[] {
  const track = new Set(options.track ?? DEFAULT_TRACK);
  return detections.filter((d) => {
    if (!track.has(d.label)) return false;
    const f = labelFilter(options, d.label);
    const area = boxArea(clampBox(d.box));
    // Negated so that a NaN score or box, which no comparison holds for, is dropped too.
    if (!(d.score >= f.minScore && area >= f.minArea && area <= f.maxArea)) return false;
    return !ignored?.(d);
  });
}
