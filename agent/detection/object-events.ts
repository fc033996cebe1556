// A detector's object events on their way out: each is submitted to the durable event outbox
// (edge/<id>/events) and its latest state kept in the bounded event store, so that objects
// still in view when the agent died are ended at the next start rather than left open.
import { join } from 'node:path';
import type { Frame } from '../camera/camera.js';
import { viewableImage } from '../camera/raw-image.js';
import type { AgentEventMap } from '../core/events.js';
import { AgentPart } from '../core/extension.js';
import type { ObjectEventPayload } from '../pipeline/result.js';
import { EventStore, type BaseEvent } from './event-store.js';
import { renderSnapshot, type SnapshotSubject } from './snapshot.js';
import type { TrackEvent } from './tracker.js';

/** An object's best frame so far, held until its picture is taken. */
interface BestFrame {
  frame: Frame;
  subject: SnapshotSubject;
}

/**
 * Best frames held at once, at most: each is a camera frame (a raw 640x480 one is 900 kB), so
 * a crowd must not hold one per person on a Pi with 512 MB; past this the lowest-scoring goes.
 */
const MAX_HELD_FRAMES = 16;

/** What the store keeps of an event: the payload without its seq, and the time of its state. */
type StoredObjectEvent = BaseEvent & Omit<ObjectEventPayload, 'seq'>;

const iso = (ms: number): string => new Date(ms).toISOString();

function payloadOf(e: TrackEvent, timeMs: number): Omit<ObjectEventPayload, 'seq'> {
  const payload: Omit<ObjectEventPayload, 'seq'> = {
    ts: iso(timeMs),
    type: e.type,
    id: e.id,
    label: e.label,
    score: e.score,
    box: e.box,
    start: iso(e.start),
    zones: e.zones,
    snapshot: false,
  };
  if (e.end !== undefined) payload.end = iso(e.end);
  return payload;
}

export class ObjectEvents extends AgentPart {
  readonly name = 'objects';
  private store: EventStore<StoredObjectEvent> | null = null;
  /** Events being submitted and stored, in order: stop() waits for them. */
  private chain: Promise<void> = Promise.resolve();
  private readonly best = new Map<string, BestFrame>();
  /** Objects in view whose picture has been taken. */
  private readonly pictured = new Set<string>();

  async start(): Promise<void> {
    this.listen('objects', this.onObjects);
    const dir = join(this.ctx.dataDir, 'events');
    let opened;
    try {
      opened = await EventStore.open<StoredObjectEvent>(dir);
    } catch (err) {
      // A data directory that takes no writes (already reported) must not stop detection:
      // events are still delivered, only their end after a crash is not.
      this.ctx.log.warn({ part: this.name, dir, err }, 'the event store cannot be opened; objects in view when the agent dies will not be ended at the next start');
      return;
    }
    const { store, problems } = opened;
    for (const problem of problems) this.ctx.log.warn({ part: this.name }, `event store: ${problem}`);
    this.store = store;
    // Objects still in view when the agent last stopped without ending them (killed, power lost).
    const now = Date.now();
    for (const { event } of store.list().reverse()) {
      if (event.type === 'end') continue;
      // Ended at its last known state: when it was last seen after that is not known.
      const { time, ...last } = event;
      this.publish({ ...last, ts: iso(now), type: 'end', end: iso(time) }, now, null, last.snapshot);
    }
  }

  /** The recent events, newest first, each in its latest state (GET /api/events). */
  recent(): { event: Omit<ObjectEventPayload, 'seq'>; time: string; snapshot: boolean }[] {
    return (this.store?.list() ?? []).map(({ event: { time, ...event }, hasSnapshot }) => ({ event, time: iso(time), snapshot: hasSnapshot }));
  }

  /** An event's picture, or null when it has none or is no longer kept. */
  snapshot(id: string): Promise<Buffer | null> {
    return this.store?.snapshot(id) ?? Promise.resolve(null);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.chain;
  }

  /**
   * An object's picture is taken from its best frame when it counts (new) and again at its end
   * if a better frame came since: a picture per update would cost a JPEG encode per second per
   * object on a Pi.
   */
  private readonly onObjects = ({ events, frame, timeMs, seen, bestFrame }: AgentEventMap['objects'][0]): void => {
    if (frame) {
      for (const id of bestFrame) {
        const o = seen.find((s) => s.id === id);
        if (o) this.hold(id, { frame, subject: { box: o.box, label: o.label, score: o.score } });
      }
    }
    for (const e of events) {
      const held = e.type === 'new' || e.type === 'end' ? this.best.get(e.id) : undefined;
      if (held) this.best.delete(e.id);
      const hadPicture = this.pictured.has(e.id);
      if (e.type === 'end') {
        this.pictured.delete(e.id);
      } else if (held) {
        this.pictured.add(e.id);
      }
      this.publish(payloadOf(e, timeMs), timeMs, held ?? null, hadPicture);
    }
  };

  private hold(id: string, frame: BestFrame): void {
    this.best.set(id, frame);
    if (this.best.size <= MAX_HELD_FRAMES) return;
    const [weakest] = [...this.best].reduce((a, b) => (b[1].subject.score < a[1].subject.score ? b : a));
    this.best.delete(weakest);
  }

  /**
   * Stores and submits one event after those before it. A failure is logged with the event
   * and does not stop the events after it: the outbox reports its own condition (health),
   * and a store that cannot be written only costs the end of that object after a crash.
   */
  private publish(payload: Omit<ObjectEventPayload, 'seq'>, timeMs: number, held: BestFrame | null = null, hadPicture = false): void {
    const { ctx } = this;
    const sink = ctx.objectEvents;
    // Stored before it is submitted: an object the broker has heard of is then always one the
    // next start can end (a crash in between ends one the broker never heard of, which is harmless).
    this.chain = this.chain.then(async () => {
      const jpeg = held ? await this.picture(held) : null;
      payload.snapshot = jpeg !== null || hadPicture;
      if (jpeg) ctx.events.emit('snapshot', { label: payload.label, jpeg });
      try {
        await this.store?.record({ ...payload, time: timeMs }, jpeg ?? undefined);
      } catch (err) {
        ctx.log.warn({ part: this.name, id: payload.id, err }, 'an object event could not be kept in the event store');
      }
      try {
        if (sink) await sink.submit(payload);
        else ctx.log.info({ part: this.name, event: payload }, 'object event');
      } catch (err) {
        ctx.log.error({ part: this.name, event: payload, err }, 'an object event could not be recorded for delivery');
      }
    });
  }

  /** The object's picture, or null (logged) when its frame cannot be made into one. */
  private async picture({ frame, subject }: BestFrame): Promise<Buffer | null> {
    const { crop, quality } = this.ctx.config.objects.snapshot;
    try {
      return await renderSnapshot(await viewableImage(frame), subject, { crop, quality });
    } catch (err) {
      this.ctx.log.warn({ part: this.name, source: frame.source, label: subject.label, err }, 'the picture of an object could not be made');
      return null;
    }
  }
}
