/**
 * A part of the agent that the controller starts and stops: camera, gpio, pipeline,
 * mqtt, telemetry, metrics. start() may throw to abort start-up with a clear error;
 * stop() must not throw and must release everything start() took.
 */
export interface Extension {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
