// The per-label filters applied to one frame's detections before tracking: the tracked labels,
// minScore, and minArea/maxArea of the box cut to the frame, each with a default for every label
// that a label may override field by field, and the mask predicate.
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../agent/pipeline/detections.js';
import { DEFAULT_LABEL_FILTER, DEFAULT_TRACK, filterDetections, labelFilter } from '../../../agent/detection/object-filter.js';

function det(label: string, score: number, box: number[] = [0.2, 0.2, 0.4, 0.4]): Detection {
  return { index: 0, label, score, box };
}

const labels = (ds: Detection[]): string[] => ds.map((d) => `${d.label} ${d.score}`);

describe('filterDetections', () => {
  it('keeps only the tracked labels: person, car, dog, cat and bird by default', () => {
    expect([...DEFAULT_TRACK].sort()).toEqual(['bird', 'car', 'cat', 'dog', 'person']);
    const frame = ['person', 'car', 'dog', 'cat', 'bird', 'chair', 'tv'].map((l) => det(l, 0.9));
    expect(filterDetections(frame).map((d) => d.label)).toEqual(['person', 'car', 'dog', 'cat', 'bird']);
    expect(filterDetections(frame, { track: ['chair'] }).map((d) => d.label)).toEqual(['chair']);
    expect(filterDetections(frame, { track: [] })).toEqual([]);
  });

  it('drops detections below minScore (0.5 unless set) and keeps those at it', () => {
    expect(DEFAULT_LABEL_FILTER.minScore).toBe(0.5);
    const frame = [det('person', 0.49), det('person', 0.5), det('car', 0.51), det('car', Number.NaN)];
    expect(labels(filterDetections(frame))).toEqual(['person 0.5', 'car 0.51']);
    expect(labels(filterDetections(frame, { defaults: { minScore: 0.51 } }))).toEqual(['car 0.51']);
  });

  it('lets a label override the default for every label, field by field', () => {
    const options = { defaults: { minScore: 0.6, maxArea: 0.5 }, filters: { person: { minScore: 0.8 } } };
    const frame = [det('person', 0.7), det('person', 0.85), det('car', 0.7), det('person', 0.9, [0, 0, 0.9, 0.9])];
    // The person's own minScore applies; its maxArea is still the default's 0.5, so the big box goes.
    expect(labels(filterDetections(frame, options))).toEqual(['person 0.85', 'car 0.7']);
  });

  it('measures the area of the part of the box inside the frame', () => {
    // Half of this box lies left of the frame: 0.5 x 1 as the model gives it, 0.5 x 0.5 inside.
    const edge = det('dog', 0.9, [0.25, -0.5, 0.75, 0.5]);
    expect(filterDetections([edge], { defaults: { maxArea: 0.3 } })).toHaveLength(1);
    expect(filterDetections([edge], { defaults: { minArea: 0.3 } })).toHaveLength(0);
    expect(filterDetections([edge], { defaults: { minArea: 0.25, maxArea: 0.25 } })).toHaveLength(1);
    // Wholly outside the frame: nothing of it is inside, so any minArea above 0 drops it.
    const outside = det('dog', 0.9, [0.2, 1.1, 0.4, 1.3]);
    expect(filterDetections([outside], { defaults: { minArea: 0.001 } })).toHaveLength(0);
  });

  it('applies minArea and maxArea per label', () => {
    const small = [0.1, 0.1, 0.15, 0.15]; // 0.0025 of the frame
    const big = [0, 0, 0.8, 0.8]; // 0.64
    const options = { filters: { bird: { maxArea: 0.1 }, car: { minArea: 0.01 } } };
    const frame = [det('bird', 0.9, small), det('bird', 0.8, big), det('car', 0.9, small), det('car', 0.8, big), det('person', 0.7, small)];
    expect(labels(filterDetections(frame, options))).toEqual(['bird 0.9', 'car 0.8', 'person 0.7']);
  });

  it('drops the detections the mask predicate says are ignored, and only those', () => {
    const frame = [det('person', 0.9, [0, 0, 0.2, 0.2]), det('person', 0.8, [0.5, 0.5, 0.7, 0.7]), det('chair', 0.9, [0, 0, 0.2, 0.2])];
    const inTopLeft = (d: Detection): boolean => d.box[2] <= 0.3;
    expect(labels(filterDetections(frame, {}, inTopLeft))).toEqual(['person 0.8']);
    expect(labels(filterDetections(frame, {}, () => false))).toEqual(['person 0.9', 'person 0.8']);
  });
});

describe('labelFilter', () => {
  it('resolves the built-in defaults, then the default for every label, then the label', () => {
    expect(labelFilter({}, 'person')).toEqual({ minScore: 0.5, threshold: 0.7, minArea: 0, maxArea: 1 });
    const options = { defaults: { threshold: 0.75, minArea: 0.01 }, filters: { car: { threshold: 0.8 } } };
    expect(labelFilter(options, 'car')).toEqual({ minScore: 0.5, threshold: 0.8, minArea: 0.01, maxArea: 1 });
    expect(labelFilter(options, 'dog')).toEqual({ minScore: 0.5, threshold: 0.75, minArea: 0.01, maxArea: 1 });
  });
});
