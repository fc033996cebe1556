// One frame's detections at a time into tracked objects and their events, as Frigate reports them:
// an object counts once it has been seen steadily, is updated as its score rises or it moves
// between zones, and ends once it has been gone for a while.
import type { Detection } from '../pipeline/detections.js';
import { median } from '../telemetry/stats.js';
import { boxArea, clampBox, labelFilter, type ObjectFilterOptions } from './object-filter.js';

export interface TrackerOptions {
  /** Least IoU between a track's predicted box and a detection of its label for them to be one object. */
  iouThreshold: number;
  /** Frames an object must be seen in before it counts. */
  confirmFrames: number;
  /** How long an object may go unseen before it ends. */
  endAfterMs: number;
  /** Least time between two messages ('new' or 'update') about one object; 'end' is never held back. */
  updateIntervalMs: number;
  /** Most tracks held at once, confirmed and tentative. */
  maxTracks: number;
  /** Where each label's threshold comes from; the rest of the filter applies before the tracker. */
  objectFilter: ObjectFilterOptions;
  /** The zones a box is in. */
  zonesOf: (box: readonly number[]) => string[];
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = {
  iouThreshold: 0.3,
  confirmFrames: 3,
  endAfterMs: 2000,
  updateIntervalMs: 1000,
  maxTracks: 64,
  objectFilter: {},
  zonesOf: () => [],
};

/** A confirmed object as it stands. */
export interface TrackedObject {
  id: string;
  label: string;
  /** The model's class number. */
  index: number;
  /** The best score the object has been seen with, tentative frames included. */
  score: number;
  /** The latest box it was seen in, [ymin, xmin, ymax, xmax] as the model gave it (not clamped). */
  box: number[];
  /** The time of its first observation. */
  start: number;
  zones: string[];
}

export interface TrackEvent extends TrackedObject {
  type: 'new' | 'update' | 'end';
  /** On 'end': the time of its last observation. */
  end?: number;
}

/** What one frame changed. */
export interface TrackerUpdate {
  events: TrackEvent[];
  /**
   * The ids of the objects for which this frame is now the best, the one to keep as the snapshot:
   * the frame that confirmed the object, then each frame that shows it with a higher score than the
   * kept one. Frames from before confirmation are never offered, so the caller holds no frame for
   * tentative tracks, most of which are flicker; an object's snapshot may therefore score below its
   * `score`. Listed apart from the events because a better frame may come while an update is held back.
   */
  bestFrame: string[];
  /** The confirmed objects this frame shows, each with its detection in this frame: a result's objects. */
  seen: { id: string; detection: Detection }[];
}

/**
 * Scores a confirmation looks at: a median over the latest 10 outvotes a few bad frames, and an
 * object that started as flicker can still become confirmed once its scores are steadily high.
 */
const SCORE_WINDOW = 10;

interface Track {
  readonly id: string;
  readonly label: string;
  readonly start: number;
  index: number;
  box: number[];
  lastSeen: number;
  /** The observation before the latest, for the velocity; null after only one. */
  previous: { box: number[]; timeMs: number } | null;
  /** Whether the latest update went by without seeing it. */
  missed: boolean;
  hits: number;
  recentScores: number[];
  bestScore: number;
  confirmed: boolean;
  zones: string[];
  /** The score of the frame the caller holds as the snapshot. */
  snapshotScore: number;
  /** What the latest 'new' or 'update' said, and when. */
  sent: { score: number; zones: string[]; timeMs: number };
  /** Whether a change is held back by the rate limit. */
  pending: boolean;
}

/** Shared by every tracker, so that one made anew (after a model reload, say) never reuses an id another has published. */
let tracksStarted = 0;

function newTrack(d: Detection, timeMs: number): Track {
  return {
    id: `${Math.trunc(timeMs)}-${(tracksStarted++).toString(36)}`,
    label: d.label,
    start: timeMs,
    index: d.index,
    box: [...d.box],
    lastSeen: timeMs,
    previous: null,
    missed: false,
    hits: 0,
    recentScores: [],
    bestScore: d.score,
    confirmed: false,
    zones: [],
    snapshotScore: 0,
    sent: { score: 0, zones: [], timeMs },
    pending: false,
  };
}

/**
 * Where the track's object should be at `timeMs`: carried on at the velocity of its last two
 * observations while it is seen frame after frame. After a missed frame it stays where it was last
 * seen: a miss often means the object stopped or is hidden, and moving it blind for up to
 * endAfterMs would carry the box far from where the object shows again. Only the part of the box
 * inside the frame moves it, since the model's guess of the rest jumps about from frame to frame.
 */
function predictedBox(track: Track, timeMs: number): number[] {
  const previous = track.previous;
  const now = clampBox(track.box);
  if (track.missed || previous === null || track.lastSeen <= previous.timeMs) return now;
  const before = clampBox(previous.box);
  const k = (timeMs - track.lastSeen) / (track.lastSeen - previous.timeMs);
  return now.map((v, i) => v + (v - before[i]) * k);
}

/** IoU of the parts of the boxes inside the frame, so that an object at an edge matches its cut-off detections. */
function iou(a: readonly number[], b: readonly number[]): number {
  const [p, q] = [clampBox(a), clampBox(b)];
  const inter = boxArea([Math.max(p[0], q[0]), Math.max(p[1], q[1]), Math.min(p[2], q[2]), Math.min(p[3], q[3])]);
  const union = boxArea(p) + boxArea(q) - inter;
  return union > 0 ? inter / union : 0;
}

const sameZones = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((z) => b.includes(z));

function eventOf(type: TrackEvent['type'], track: Track): TrackEvent {
  const event: TrackEvent = { type, ...objectOf(track) };
  if (type === 'end') event.end = track.lastSeen;
  return event;
}

function objectOf(track: Track): TrackedObject {
  const { id, label, index, bestScore: score, start } = track;
  return { id, label, index, score, box: [...track.box], start, zones: [...track.zones] };
}

/**
 * Follows objects across frames: `update` once per frame with that frame's filtered detections
 * (filterDetections), in time order.
 */
export class Tracker {
  private readonly options: TrackerOptions;
  private tracks: Track[] = [];

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  update(detections: readonly Detection[], timeMs: number): TrackerUpdate {
    const out: TrackerUpdate = { events: [], bestFrame: [], seen: [] };
    // Ended before matching: an object gone that long is over even if this frame shows one like it.
    const gone = this.tracks.filter((t) => timeMs - t.lastSeen >= this.options.endAfterMs);
    for (const track of gone) if (track.confirmed) out.events.push(eventOf('end', track));
    this.tracks = this.tracks.filter((t) => !gone.includes(t));
    const { matched, unmatched } = this.associate(detections, timeMs);
    for (const track of this.tracks) {
      const detection = matched.get(track);
      if (detection) this.observe(track, detection, timeMs, out);
      else track.missed = true;
      if (track.pending && timeMs - track.sent.timeMs >= this.options.updateIntervalMs) this.send('update', track, timeMs, out);
    }
    this.admit(unmatched, timeMs, out);
    return out;
  }

  /** The confirmed objects being followed now. */
  objects(): TrackedObject[] {
    return this.tracks.filter((t) => t.confirmed).map(objectOf);
  }

  /** Ends every confirmed object, each at its last observation, and forgets every track. */
  endAll(): TrackEvent[] {
    const events = this.tracks.filter((t) => t.confirmed).map((t) => eventOf('end', t));
    this.tracks = [];
    return events;
  }

  /** Each track with the detection of its label that best overlaps where it should be, best pairs first. */
  private associate(detections: readonly Detection[], timeMs: number): { matched: Map<Track, Detection>; unmatched: Detection[] } {
    const pairs: { track: Track; detection: number; iou: number }[] = [];
    for (const track of this.tracks) {
      const predicted = predictedBox(track, timeMs);
      detections.forEach((d, i) => {
        if (d.label !== track.label) return;
        const overlap = iou(predicted, d.box);
        if (overlap >= this.options.iouThreshold) pairs.push({ track, detection: i, iou: overlap });
      });
    }
    pairs.sort((a, b) => b.iou - a.iou);
    const matched = new Map<Track, Detection>();
    const taken = new Set<number>();
    for (const p of pairs) {
      if (matched.has(p.track) || taken.has(p.detection)) continue;
      matched.set(p.track, detections[p.detection]);
      taken.add(p.detection);
    }
    return { matched, unmatched: detections.filter((_, i) => !taken.has(i)) };
  }

  private observe(track: Track, d: Detection, timeMs: number, out: TrackerUpdate): void {
    if (track.hits > 0) track.previous = { box: track.box, timeMs: track.lastSeen };
    track.box = [...d.box];
    track.index = d.index;
    track.lastSeen = timeMs;
    track.missed = false;
    track.hits++;
    track.recentScores.push(d.score);
    if (track.recentScores.length > SCORE_WINDOW) track.recentScores.shift();
    track.bestScore = Math.max(track.bestScore, d.score);
    if (!track.confirmed) {
      if (this.confirms(track)) this.confirm(track, d.score, timeMs, out);
    } else {
      track.zones = this.options.zonesOf(track.box);
      if (d.score > track.snapshotScore) {
        track.snapshotScore = d.score;
        out.bestFrame.push(track.id);
      }
      if (track.bestScore > track.sent.score || !sameZones(track.zones, track.sent.zones)) track.pending = true;
    }
    if (track.confirmed) out.seen.push({ id: track.id, detection: d });
  }

  private confirms(track: Track): boolean {
    return track.hits >= this.options.confirmFrames && median(track.recentScores) >= labelFilter(this.options.objectFilter, track.label).threshold;
  }

  private confirm(track: Track, score: number, timeMs: number, out: TrackerUpdate): void {
    track.confirmed = true;
    track.zones = this.options.zonesOf(track.box);
    track.snapshotScore = score;
    out.bestFrame.push(track.id);
    this.send('new', track, timeMs, out);
  }

  private send(type: 'new' | 'update', track: Track, timeMs: number, out: TrackerUpdate): void {
    out.events.push(eventOf(type, track));
    track.sent = { score: track.bestScore, zones: [...track.zones], timeMs };
    track.pending = false;
  }

  /**
   * Starts a tentative track for each detection no track took, best first, up to maxTracks. The
   * cap bounds the memory and the matching work per frame on a Pi when a scene fills with false
   * detections (leaves taken for birds, a screen): past it a detection takes the place of the
   * lowest-scoring tentative track, the likeliest flicker, if it scores higher, and is left out
   * otherwise. Confirmed tracks are never dropped, since their end must be reported.
   */
  private admit(unmatched: readonly Detection[], timeMs: number, out: TrackerUpdate): void {
    for (const d of [...unmatched].sort((a, b) => b.score - a.score)) {
      if (this.tracks.length >= this.options.maxTracks && !this.dropWeakestBelow(d.score)) return;
      const track = newTrack(d, timeMs);
      this.tracks.push(track);
      this.observe(track, d, timeMs, out);
    }
  }

  private dropWeakestBelow(score: number): boolean {
    let weakest: Track | null = null;
    for (const t of this.tracks) {
      if (!t.confirmed && t.bestScore < score && (weakest === null || t.bestScore < weakest.bestScore)) weakest = t;
    }
    if (weakest === null) return false;
    this.tracks.splice(this.tracks.indexOf(weakest), 1);
    return true;
  }
}
