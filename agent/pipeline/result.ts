import type { Prediction } from './classification.js';

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
  top: Prediction[];
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
