// A detector's frames as the agent reports them: each frame's detections filtered as
// objects.* says, then followed across frames, so that a result names the objects in view
// with the ids they keep.
import type { AgentConfig } from '../config/types.js';
import type { Detection } from '../pipeline/detections.js';
import type { ResultObject } from '../pipeline/result.js';
import { filterDetections, type ObjectFilterOptions } from './object-filter.js';
import { Tracker, type TrackerUpdate, type TrackEvent } from './tracker.js';
import { isMasked, zonesOf } from './zones.js';

export interface WatchedFrame extends TrackerUpdate {
  /** The confirmed objects in the frame, as a result carries them. */
  objects: ResultObject[];
}

export class ObjectWatch {
  private readonly filter: ObjectFilterOptions;
  private readonly tracker: Tracker;

  private readonly masked: (d: Detection) => boolean;
  private readonly labels: readonly string[];
  private readonly zones: readonly string[];

  constructor(options: AgentConfig['objects']) {
    const { track, minScore, threshold, minArea, maxArea, filters, zones, masks } = options;
    this.filter = { track, defaults: { minScore, threshold, minArea, maxArea }, filters };
    this.masked = (d) => isMasked(d.box, masks);
    this.labels = [...new Set(track)];
    this.zones = Object.keys(zones);
    this.tracker = new Tracker({
      confirmFrames: options.confirmFrames,
      endAfterMs: options.endAfterSeconds * 1000,
      objectFilter: this.filter,
      zonesOf: (box) => zonesOf(box, zones),
    });
  }

  /** One frame's detections, in time order; `timeMs` is the frame's capture time. */
  see(found: readonly Detection[], timeMs: number): WatchedFrame {
    const update = this.tracker.update(filterDetections(found, this.filter, this.masked), timeMs);
    const objects = update.seen.map(({ id, detection: { label, index, score, box } }) => ({ id, label, index, score, box: [...box] }));
    return { ...update, objects };
  }

  /** Ends every object in view (the agent stops, or another model takes over). */
  endAll(): TrackEvent[] {
    return this.tracker.endAll();
  }

  /**
   * The confirmed objects in view, counted per tracked label ('person') and per zone and
   * label ('driveway/person'), zeros included: what Home Assistant shows as occupancy.
   */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const label of this.labels) {
      counts[label] = 0;
      for (const zone of this.zones) counts[`${zone}/${label}`] = 0;
    }
    for (const o of this.tracker.objects()) {
      if (!(o.label in counts)) continue;
      counts[o.label]++;
      for (const zone of o.zones) counts[`${zone}/${o.label}`]++;
    }
    return counts;
  }
}
