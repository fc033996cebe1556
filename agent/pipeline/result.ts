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
