// The agent's use of the filter, the masks, the tracker and the zones together, configured as
// the objects section of the configuration says.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../agent/config/definition.js';
import { ObjectWatch } from '../../../agent/detection/object-watch.js';
import type { Detection } from '../../../agent/pipeline/detections.js';

const objects = (changes: Partial<ReturnType<typeof defaultConfig>['objects']>) => ({ ...defaultConfig().objects, confirmFrames: 2, ...changes });
// A box whose bottom centre is at (x, y).
const at = (label: string, x: number, y: number, score = 0.9): Detection => ({ index: label === 'person' ? 0 : 2, label, score, box: [y - 0.3, x - 0.1, y, x + 0.1] });

describe('ObjectWatch', () => {
  it('reports confirmed objects with their ids, and the zones of their bottom centre in events', () => {
    const watch = new ObjectWatch(objects({ zones: { driveway: [[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]] } }));
    expect(watch.see([at('person', 0.3, 0.9), at('car', 0.8, 0.9)], 0).objects).toEqual([]);
    const second = watch.see([at('person', 0.3, 0.9), at('car', 0.8, 0.9)], 100);
    expect(second.objects.map((o) => o.label)).toEqual(['person', 'car']);
    const zonesOf = Object.fromEntries(second.events.map((e) => [e.label, e.zones]));
    expect(zonesOf).toEqual({ person: ['driveway'], car: [] });
  });

  it('leaves out detections whose bottom centre is in a mask, and labels not tracked', () => {
    const watch = new ObjectWatch(objects({ masks: [[[0.6, 0.6], [1, 0.6], [1, 1], [0.6, 1]]], track: ['person', 'car'] }));
    const frame = [at('person', 0.8, 0.9), at('car', 0.3, 0.9), at('tie', 0.3, 0.5)];
    watch.see(frame, 0);
    expect(watch.see(frame, 100).objects.map((o) => o.label)).toEqual(['car']);
  });

  it('applies a label\'s own filter before the defaults', () => {
    const watch = new ObjectWatch(objects({ filters: { car: { minScore: 0.95 } } }));
    const frame = [at('person', 0.3, 0.9, 0.9), at('car', 0.8, 0.9, 0.9)];
    watch.see(frame, 0);
    expect(watch.see(frame, 100).objects.map((o) => o.label)).toEqual(['person']);
  });

  it('counts the confirmed objects in view per tracked label and per zone, zeros included', () => {
    const watch = new ObjectWatch(objects({ track: ['person', 'car'], zones: { left: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] } }));
    const zero = { person: 0, 'left/person': 0, car: 0, 'left/car': 0 };
    expect(watch.counts()).toEqual(zero);
    const frame = [at('person', 0.2, 0.9), at('person', 0.8, 0.9), at('car', 0.3, 0.5)];
    watch.see(frame, 0);
    expect(watch.counts()).toEqual(zero);
    watch.see(frame, 100);
    expect(watch.counts()).toEqual({ person: 2, 'left/person': 1, car: 1, 'left/car': 1 });
    watch.endAll();
    expect(watch.counts()).toEqual(zero);
  });
});
