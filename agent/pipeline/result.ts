import type { Prediction } from './classification.js';

/** An object a detector found, with the id it keeps while it stays in view. */
export interface ResultObject {
  id: string;
  label: string;
  index: number;
  score: number;
  /** [ymin, xmin, ymax, xmax], normalized to the frame. */
  box: number[];
}

/** The result payload of the MQTT contract (README.md), published on edge/<id>/result. */
export interface ResultPayload {
  /** Per device, from 0, one higher per result, kept across restarts. */
  seq: number;
  /** ISO 8601 capture time. */
  ts: string;
  device: string;
  model: string;
  /** The model file's sha256: the exact model, whatever its name. */
  modelSha256: string;
  /** The camera's name for the frame (the file name for the simulated camera). */
  source: string;
  /** A classifier's best classes; for a detector, its objects' classes, best first. */
  top: Prediction[];
  /** A detector's objects in this frame (the labels objects.track follows); absent for a classifier. */
  objects?: ResultObject[];
  latencyMs: { capture: number; preprocess: number; inference: number; total: number };
  /** Kernel engine that produced it, e.g. native:avx512vnni. */
  engine: string;
}

/**
 * Where finished results go. The implementation numbers them (seq), records them
 * durably and delivers them; submit resolves once the result is recorded.
 */
export interface ResultSink {
  submit(result: Omit<ResultPayload, 'seq'>): Promise<ResultPayload>;
  /** Results recorded and not yet acknowledged by the broker. */
  depth(): number;
}

/** An object's event (edge/<id>/events): new when it is confirmed, update as it changes, end when it is gone. */
export interface ObjectEventPayload {
  /** Per device, from 0, one higher per event, kept across restarts (apart from the results' seq). */
  seq: number;
  /** ISO 8601 time of the frame that caused the event (for an end, when it was found gone). */
  ts: string;
  type: 'new' | 'update' | 'end';
  id: string;
  label: string;
  /** The best score the object was seen with. */
  score: number;
  /** [ymin, xmin, ymax, xmax] of its latest sighting, normalized to the frame. */
  box: number[];
  /** ISO 8601 time it was first seen. */
  start: string;
  /** On end: ISO 8601 time it was last seen. */
  end?: string;
  zones: string[];
  /** Whether a snapshot of the object is kept (edge/<id>/<label>/snapshot). */
  snapshot: boolean;
}

/** Where object events go: the implementation numbers them (seq), records them durably and delivers them. */
export interface ObjectEventSink {
  submit(event: Omit<ObjectEventPayload, 'seq'>): Promise<ObjectEventPayload>;
}
