// The tracker, frame by frame as the pipeline calls it: association by IoU against a
// constant-velocity prediction, confirmation after confirmFrames frames with a median score at the
// threshold, the end after endAfterMs unseen, events at most once a second per object, zones,
// the best frame, endAll, unique ids and the cap on tracks.
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../agent/pipeline/detections.js';
import { Tracker, type TrackEvent, type TrackerOptions, type TrackerUpdate } from '../../../agent/detection/tracker.js';

const FRAME_MS = 100;

/** A box `w` wide and `h` high whose top left corner is at (x, y). */
const box = (x: number, y = 0.3, w = 0.2, h = 0.3): number[] => [y, x, y + h, x + w];

const person = (x: number, score = 0.9, y?: number): Detection => ({ index: 0, label: 'person', score, box: box(x, y) });

interface Seen extends TrackEvent {
  at: number;
}

/** Feeds frames to a tracker and keeps every event with the time of the frame that caused it. */
class Run {
  readonly events: Seen[] = [];
  readonly tracker: Tracker;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.tracker = new Tracker(options);
  }

  frame(timeMs: number, detections: Detection[]): TrackerUpdate {
    const changes = this.tracker.update(detections, timeMs);
    this.events.push(...changes.events.map((e) => ({ ...e, at: timeMs })));
    return changes;
  }

  /** Frames every FRAME_MS from `from` up to and excluding `to`, as `at` gives them. */
  frames(from: number, to: number, at: (t: number, i: number) => Detection[]): void {
    for (let t = from, i = 0; t < to; t += FRAME_MS, i++) this.frame(t, at(t, i));
  }

  of(type: TrackEvent['type']): Seen[] {
    return this.events.filter((e) => e.type === type);
  }
}

describe('confirmation', () => {
  it('reports an object once it has been seen in confirmFrames frames with a steady score, and only once', () => {
    const run = new Run();
    run.frame(1000, [person(0.1, 0.8)]);
    run.frame(1100, [person(0.11, 0.85)]);
    expect(run.events).toEqual([]);
    expect(run.tracker.objects()).toEqual([]);
    run.frame(1200, [person(0.12, 0.8)]);
    expect(run.events).toEqual([
      { type: 'new', id: expect.any(String), label: 'person', index: 0, score: 0.85, box: box(0.12), start: 1000, zones: [], at: 1200 },
    ]);
    run.frames(1300, 6000, (_, i) => [person(0.12 + 0.001 * i, 0.8)]);
    expect(run.events).toHaveLength(1);
    expect(run.tracker.objects().map((o) => o.id)).toEqual([run.events[0].id]);
  });

  it('counts confirmFrames as set', () => {
    const run = new Run({ confirmFrames: 5 });
    run.frames(0, 400, () => [person(0.3)]);
    expect(run.events).toEqual([]);
    run.frame(400, [person(0.3)]);
    expect(run.of('new').map((e) => e.at)).toEqual([400]);
  });

  it('does not report a single frame of flicker, however high its score', () => {
    const run = new Run();
    run.frame(0, [person(0.4, 0.99)]);
    run.frames(100, 5000, () => []);
    expect(run.events).toEqual([]);
  });

  it('confirms on the median of the scores, not on one high score or the count of frames', () => {
    const run = new Run();
    const scores = [0.95, 0.4, 0.4, 0.9, 0.9];
    const news = scores.map((s, i) => run.frame(i * FRAME_MS, [person(0.4, s)]).events.filter((e) => e.type === 'new').length);
    // Medians: -, -, 0.4, 0.65 (0.4 and 0.9 in the middle), then 0.9.
    expect(news).toEqual([0, 0, 0, 0, 1]);
    expect(run.events[0].score).toBe(0.95);
  });

  it('looks at the latest 10 scores only, so an object that started weak is confirmed once it is steadily strong', () => {
    const run = new Run();
    run.frames(0, 1000, () => [person(0.4, 0.6)]);
    run.frames(1000, 1400, () => [person(0.4, 0.9)]);
    // 4 strong of the latest 10: the median is still weak.
    expect(run.events).toEqual([]);
    // Had every score counted, the 10 weak ones would still outvote these 6 strong ones.
    run.frames(1400, 1600, () => [person(0.4, 0.9)]);
    expect(run.of('new')).toHaveLength(1);
  });

  it('takes the threshold per label from the filter options', () => {
    const car = (score: number): Detection => ({ index: 2, label: 'car', score, box: box(0.6) });
    const run = new Run({ objectFilter: { filters: { car: { threshold: 0.9 } } } });
    run.frames(0, 3000, () => [person(0.1, 0.8), car(0.8)]);
    expect(run.of('new').map((e) => e.label)).toEqual(['person']);
    run.frames(3000, 3300, () => [person(0.1, 0.8), car(0.95)]);
    // Three frames at 0.95 among seven at 0.8: the car's median is still 0.8.
    expect(run.of('new').map((e) => e.label)).toEqual(['person']);
    run.frames(3300, 3600, () => [person(0.1, 0.8), car(0.95)]);
    expect(run.of('new').map((e) => e.label)).toEqual(['person', 'car']);
  });

  it('drops tentative tracks silently when they go missing', () => {
    const run = new Run();
    run.frames(0, 200, () => [person(0.2)]); // two frames: not yet confirmed
    run.frames(200, 2000, (_, i) => (i % 2 ? [person(0.6, 0.6)] : [])); // a weak one, seen every other frame
    run.frames(2000, 6000, () => []);
    expect(run.events).toEqual([]);
    expect(run.tracker.objects()).toEqual([]);
    expect(run.tracker.endAll()).toEqual([]);
  });
});

describe('association', () => {
  it('keeps the ids of two objects whose paths cross', () => {
    const run = new Run();
    // A walks right, B walks left, a little lower; their boxes overlap in the middle frames, where
    // B's box is nearer A's previous box than A's is, so only the predicted boxes tell them apart.
    const a = (i: number): number[] => box(0.1 + 0.08 * i, 0.3);
    const b = (i: number): number[] => box(0.7 - 0.08 * i, 0.33);
    const ids: Record<'a' | 'b', Set<string>> = { a: new Set(), b: new Set() };
    for (let i = 0; i < 10; i++) {
      run.frame(i * FRAME_MS, [
        { index: 0, label: 'person', score: 0.9, box: a(i) },
        { index: 0, label: 'person', score: 0.9, box: b(i) },
      ]);
      for (const o of run.tracker.objects()) {
        if (o.box[0] === 0.3) ids.a.add(o.id);
        else ids.b.add(o.id);
      }
    }
    expect(ids.a.size).toBe(1);
    expect(ids.b.size).toBe(1);
    expect([...ids.a][0]).not.toBe([...ids.b][0]);
    expect(run.of('new')).toHaveLength(2);
    expect(run.of('end')).toEqual([]);
  });

  it('matches only detections of the same label', () => {
    const run = new Run();
    run.frames(0, 300, () => [person(0.4)]);
    const [p] = run.tracker.objects();
    const dog: Detection = { index: 17, label: 'dog', score: 0.9, box: box(0.4) };
    run.frames(300, 600, () => [dog]);
    expect(run.of('new').map((e) => [e.label, e.id === p.id])).toEqual([['person', true], ['dog', false]]);
    expect(run.tracker.objects().find((o) => o.id === p.id)?.score).toBe(0.9);
  });

  it('keeps the id through an occlusion shorter than endAfterMs', () => {
    const run = new Run();
    run.frames(0, 1000, (_, i) => [person(0.2 + 0.005 * i)]);
    const [id] = run.of('new').map((e) => e.id);
    run.frames(1000, 2800, () => []); // last seen at 900: unseen for 1900 ms when it shows again
    run.frames(2800, 4000, (_, i) => [person(0.26 + 0.005 * i)]);
    expect(run.events.map((e) => [e.type, e.id])).toEqual([['new', id]]);
    expect(run.tracker.objects().map((o) => o.id)).toEqual([id]);
  });

  it('ends an object unseen for endAfterMs at its last observation, and gives it a new id when it shows again', () => {
    const run = new Run();
    run.frames(0, 1000, () => [person(0.2, 0.8)]);
    run.frame(1000, [person(0.21, 0.9)]);
    run.frames(1100, 3000, () => []);
    // Unseen for 1900 ms: still there.
    expect(run.of('end')).toEqual([]);
    run.frames(3000, 3100, () => []);
    const [first] = run.of('new');
    expect(run.of('end')).toEqual([{ ...first, type: 'end', score: 0.9, box: box(0.21), end: 1000, at: 3000 }]);
    expect(run.tracker.objects()).toEqual([]);
    run.frames(3100, 3400, () => [person(0.21)]);
    const news = run.of('new');
    expect(news).toHaveLength(2);
    expect(news[1].id).not.toBe(first.id);
    expect(news[1].start).toBe(3100);
  });

  it('ends an object unseen for endAfterMs even when the next frame after the gap shows one in its place', () => {
    const run = new Run();
    run.frames(0, 500, () => [person(0.2)]);
    run.frame(2600, [person(0.2)]);
    expect(run.of('end').map((e) => e.end)).toEqual([400]);
  });

  it('does not carry a missed object on at its last velocity', () => {
    const run = new Run();
    run.frames(0, 1000, (_, i) => [person(0.05 * i, 0.9, 0.3)]); // 0.05 a frame, a quarter of its width
    const [id] = run.of('new').map((e) => e.id);
    run.frames(1000, 1500, () => []);
    // It stopped where it was last seen; moved on at its velocity, the box would be 0.3 further by now.
    run.frames(1500, 2000, () => [person(0.45, 0.9, 0.3)]);
    expect(run.events.map((e) => [e.type, e.id])).toEqual([['new', id]]);
  });

  it('matches at an edge on the part of the box inside the frame, however far past the edge the model guesses it', () => {
    const run = new Run();
    // Half out of the frame on the right: the visible part stays, the guessed extent jumps about.
    const edge = (i: number): Detection => ({ index: 0, label: 'person', score: 0.9, box: [0.3, 0.9, 0.6, i % 2 ? 1.5 : 1.02] });
    run.frames(0, 2000, (_, i) => [edge(i)]);
    expect(run.events.map((e) => e.type)).toEqual(['new']);
    expect(run.tracker.objects()).toHaveLength(1);
  });

  it('follows objects entering and leaving at the edges, with boxes partly outside the frame', () => {
    const run = new Run();
    // 0.05 a frame from three quarters outside on the left to three quarters outside on the right;
    // then a bird coming down from half above the frame.
    run.frames(0, 2300, (_, i) => [person(-0.15 + 0.05 * i)]);
    const bird = (i: number): Detection => ({ index: 15, label: 'bird', score: 0.8, box: [-0.1 + 0.04 * i, 0.5, 0.1 + 0.04 * i, 0.6] });
    run.frames(2300, 2900, (_, i) => [bird(i)]);
    run.frames(2900, 6000, () => []);
    const byType = (type: TrackEvent['type']): string[] => run.of(type).map((e) => e.label);
    expect(byType('new')).toEqual(['person', 'bird']);
    expect(byType('end')).toEqual(['person', 'bird']);
    const [person0, bird0] = run.of('new');
    const [personEnd, birdEnd] = run.of('end');
    expect(personEnd).toMatchObject({ id: person0.id, start: 0, end: 2200 });
    expect(personEnd.box[3]).toBeCloseTo(1.15);
    expect(birdEnd).toMatchObject({ id: bird0.id, start: 2300, end: 2800 });
    expect(birdEnd.box[0]).toBeCloseTo(0.1);
  });
});

describe('updates', () => {
  it('sends an update when the best score rises, at most once a second, delivering a held-back change later', () => {
    const run = new Run();
    run.frames(0, 300, () => [person(0.4, 0.8)]); // 'new' at 200
    run.frames(300, 1700, () => [person(0.4, 0.8)]);
    expect(run.of('update')).toEqual([]); // nothing changed
    run.frame(1700, [person(0.4, 0.85)]); // 1.5 s after 'new': sent at once
    run.frame(1800, [person(0.4, 0.9)]); // held back until 2700
    run.frames(1900, 2700, () => [person(0.4, 0.8)]);
    expect(run.of('update').map((e) => [e.at, e.score])).toEqual([[1700, 0.85]]);
    run.frame(2700, []); // nothing new in this frame, and the object is not in it: the held-back change goes now
    run.frames(2800, 4000, () => [person(0.4, 0.8)]);
    expect(run.of('update').map((e) => [e.at, e.score])).toEqual([[1700, 0.85], [2700, 0.9]]);
  });

  it('never sends two messages about one object less than a second apart while its score keeps rising', () => {
    const run = new Run();
    run.frames(0, 6000, (_, i) => [person(0.4, 0.7 + 0.0004 * i)]);
    const times = run.events.filter((e) => e.type !== 'end').map((e) => e.at);
    expect(times.length).toBeGreaterThanOrEqual(5);
    for (let k = 1; k < times.length; k++) expect(times[k] - times[k - 1]).toBeGreaterThanOrEqual(1000);
  });

  it('sends an update when the zones of the latest box change', () => {
    const boxes: number[][] = [];
    const zonesOf = (b: readonly number[]): string[] => {
      boxes.push([...b]);
      return (b[1] + b[3]) / 2 < 0.5 ? ['left'] : ['right'];
    };
    const run = new Run({ zonesOf });
    // The centre crosses 0.5 at the frame of 2000; the score never changes.
    run.frames(0, 4000, (_, i) => [person(0.02 * i)]);
    expect(run.events.map((e) => [e.type, e.at, e.zones])).toEqual([
      ['new', 200, ['left']],
      ['update', 2000, ['right']],
    ]);
    expect(run.of('update')[0].box).toEqual(box(0.4));
    expect(boxes).toContainEqual(box(0.4));
  });

  it('holds back a zone change that comes less than a second after the last message', () => {
    const zonesOf = (b: readonly number[]): string[] => (b[1] < 0.32 ? ['yard'] : ['yard', 'door']);
    const run = new Run({ zonesOf });
    run.frames(0, 600, () => [person(0.3)]); // 'new' at 200
    run.frames(600, 3000, () => [person(0.33)]);
    expect(run.events.map((e) => [e.type, e.at, e.zones])).toEqual([
      ['new', 200, ['yard']],
      ['update', 1200, ['yard', 'door']],
    ]);
  });
});

describe('best frame', () => {
  it('names the object in the frame that confirmed it, then in each frame that shows it better than the kept one', () => {
    const run = new Run();
    const scores = [0.8, 0.95, 0.8, 0.85, 0.82, 0.9, 0.9, 0.7];
    const best = scores.map((s, i) => run.frame(i * FRAME_MS, [person(0.4, s)]).bestFrame);
    const [id] = run.of('new').map((e) => e.id);
    // Tentative frames are never offered: the caller keeps no frame for a track that may be flicker.
    expect(best).toEqual([[], [], [id], [id], [], [id], [], []]);
    expect(run.of('new')[0].score).toBe(0.95);
  });

  it('names each object apart', () => {
    const run = new Run();
    const best = [0.8, 0.8, 0.8, 0.9].map((s, i) => run.frame(i * FRAME_MS, [person(0.1, s), person(0.6, 0.8)]).bestFrame);
    const [a, b] = run.of('new').map((e) => e.id);
    expect(best.slice(2)).toEqual([[a, b], [a]]);
  });
});

describe('the objects a frame shows', () => {
  it('lists the confirmed objects seen in the frame with that frame\'s detection, not tentative or missed ones', () => {
    const run = new Run({ confirmFrames: 2 });
    expect(run.frame(0, [person(0.1, 0.8)]).seen).toEqual([]);
    const second = run.frame(100, [person(0.12, 0.75), person(0.7, 0.9)]);
    const [first] = run.of('new');
    expect(second.seen).toEqual([{ id: first.id, detection: person(0.12, 0.75) }]);
    // The second person is tentative until its own second frame; the first is missed here.
    expect(run.frame(200, [person(0.7, 0.95)]).seen.map((s) => s.detection.score)).toEqual([0.95]);
    expect(run.frame(300, [person(0.14, 0.6), person(0.7, 0.9)]).seen.map((s) => s.id)).toEqual([first.id, run.of('new')[1].id]);
  });
});

describe('endAll', () => {
  it('ends every confirmed object at its last observation, and only those', () => {
    const run = new Run();
    const car: Detection = { index: 2, label: 'car', score: 0.8, box: box(0.6) };
    const dog: Detection = { index: 17, label: 'dog', score: 0.9, box: box(0.3, 0.7) };
    run.frames(0, 500, (t) => (t < 300 ? [person(0.1), car] : [person(0.1), dog]));
    const ends = run.tracker.endAll();
    const news = run.of('new');
    expect(news.map((e) => e.label)).toEqual(['person', 'car']);
    const endOf = ({ at: _, ...e }: Seen, end: number): TrackEvent => ({ ...e, type: 'end', end });
    expect(ends).toEqual([endOf(news[0], 400), endOf(news[1], 200)]);
    expect(run.tracker.objects()).toEqual([]);
    expect(run.tracker.endAll()).toEqual([]);
    // Nothing is left of them: the same scene later is new objects, and nothing ends twice.
    run.frames(500, 5000, () => [person(0.1), car]);
    expect(run.of('end')).toEqual([]);
    const later = run.of('new').slice(2);
    expect(later.map((e) => [e.label, e.start])).toEqual([['person', 500], ['car', 500]]);
    expect(later.filter((e) => news.some((n) => n.id === e.id))).toEqual([]);
  });
});

describe('ids', () => {
  it('never repeat, within a tracker or across trackers fed the same frames at the same times', () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const run = new Run();
      // Objects that come and go, several at the same time and over and over.
      for (let cycle = 0; cycle < 5; cycle++) {
        const t0 = cycle * 3000;
        run.frames(t0, t0 + 500, () => [person(0.1), person(0.5), { index: 2, label: 'car', score: 0.9, box: box(0.1) }]);
      }
      run.tracker.endAll();
      ids.push(...run.of('new').map((e) => e.id));
    }
    expect(ids).toHaveLength(45);
    expect(new Set(ids).size).toBe(45);
  });
});

describe('the cap on tracks', () => {
  it('keeps the highest-scoring detections when a frame has more than maxTracks', () => {
    const run = new Run({ maxTracks: 3 });
    const scores = [0.75, 0.9, 0.8, 0.7, 0.85];
    run.frames(0, 1000, () => scores.map((s, i) => person(0.2 * i, s, 0.1)));
    expect(run.of('new').map((e) => e.score).sort()).toEqual([0.8, 0.85, 0.9]);
  });

  it('never drops a confirmed object for a new detection, however strong', () => {
    const run = new Run({ maxTracks: 2 });
    run.frames(0, 300, () => [person(0.1, 0.8), person(0.6, 0.8)]);
    run.frames(300, 3000, () => [person(0.1, 0.8), person(0.6, 0.8), { index: 2, label: 'car', score: 0.99, box: box(0.3, 0.7) }]);
    expect(run.events.map((e) => [e.type, e.label])).toEqual([['new', 'person'], ['new', 'person']]);
    expect(run.tracker.objects()).toHaveLength(2);
  });

  it('drops the lowest-scoring tentative track for a stronger detection', () => {
    const run = new Run({ maxTracks: 3 });
    const weak = person(0.6, 0.72);
    const middle = person(0.35, 0.8, 0.65);
    run.frames(0, 300, () => [person(0.1)]); // confirmed
    run.frame(300, [person(0.1), weak, middle]); // two tentative tracks
    run.frames(400, 3000, () => [person(0.1), weak, middle, person(0.6, 0.85, 0.65)]);
    // The weak one lost its track to the strong one and, weaker than both others, never gets one back.
    expect(run.of('new').map((e) => e.score)).toEqual([0.9, 0.8, 0.85]);
  });

  it('holds 64 tracks unless set', () => {
    const run = new Run();
    // 80 people in a grid of small boxes that do not touch, each with its own score.
    const crowd = Array.from({ length: 80 }, (_, i): Detection => ({
      index: 0,
      label: 'person',
      score: 0.7 + i / 1000,
      box: [0.1 * Math.floor(i / 10), 0.1 * (i % 10), 0.1 * Math.floor(i / 10) + 0.05, 0.1 * (i % 10) + 0.05],
    }));
    run.frames(0, 500, () => crowd);
    const scores = run.of('new').map((e) => e.score);
    expect(scores).toHaveLength(64);
    expect(Math.min(...scores)).toBeCloseTo(0.716);
  });
});
