import { EventEmitter } from 'node:events';
import type { Frame } from '../camera/camera.js';
import type { TrackEvent } from '../detection/tracker.js';
import type { ResultObject, ResultPayload } from '../pipeline/result.js';

/** What the agent's parts tell each other. Listeners must not throw. */
export interface AgentEventMap {
  /** A result was recorded (and will be delivered). */
  result: [ResultPayload];
  /**
   * The same result with the frame it came from, as the camera gave it, for live views.
   * Only a reference to the frame is passed and nothing is kept: with no listener (no
   * browser connected), emitting it does no work.
   */
  frame: [{ frame: Frame; result: ResultPayload }];
  /**
   * What a detector's frame changed about the objects in view (the tracker's events, in
   * order), at the frame's capture time, with the objects it shows and those for which it is
   * the best frame so far; on a stop or a model swap, the ends of the objects still in view,
   * with frame null.
   */
  objects: [{ events: TrackEvent[]; frame: Frame | null; timeMs: number; seen: ResultObject[]; bestFrame: string[] }];
  /** An object's snapshot, to go out as its label's retained picture. */
  snapshot: [{ label: string; jpeg: Buffer }];
  /** The confirmed objects in view changed in number, per label and per zone/label (ObjectWatch.counts). */
  objectCounts: [Record<string, number>];
  /** A telemetry snapshot is ready to publish. */
  telemetry: [Record<string, unknown>];
  /** The broker connection came up or went down. */
  broker: [{ connected: boolean }];
  /** A part's health changed: degraded with a reason, or recovered (reason null). */
  health: [{ part: string; degraded: boolean; reason: string | null }];
  /** Something asked for a capture now (GPIO trigger, MQTT command). */
  trigger: [{ source: string }];
  /**
   * A part cannot go on and cannot recover by itself (the inference worker keeps dying):
   * the agent stops and exits non-zero, for pm2 to restart the whole process.
   */
  fatal: [{ part: string; reason: string }];
}

export class AgentEvents extends EventEmitter<AgentEventMap> {}
