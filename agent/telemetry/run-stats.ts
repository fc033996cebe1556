import { percentile } from './stats.js';

/** A bounded window of recent samples, for p50/p95 without unbounded memory. */
export class SampleWindow {
  private readonly samples: number[] = [];
  constructor(private readonly size = 500) {}

  add(value: number): void {
    this.samples.push(value);
    if (this.samples.length > this.size) this.samples.shift();
  }

  percentile(p: number): number | null {
    return this.samples.length ? percentile(this.samples, p) : null;
  }
}

/** Counters and latency windows of the running agent, read by telemetry and metrics. */
export class RunStats {
  framesCaptured = 0;
  framesInferred = 0;
  /** Frames replaced by a newer one while inference was busy. */
  framesDropped = 0;
  /** Frames the motion gate skipped as still. */
  framesStill = 0;
  captureErrors = 0;
  readonly totalMs = new SampleWindow();
  readonly inferenceMs = new SampleWindow();
  private readonly resultTimes: number[] = [];

  recordResult(now = Date.now()): void {
    this.framesInferred++;
    this.resultTimes.push(now);
    while (this.resultTimes.length > 0 && this.resultTimes[0] < now - 10_000) this.resultTimes.shift();
  }

  /** Results per second over the last ten seconds. */
  fps(now = Date.now()): number {
    const recent = this.resultTimes.filter((t) => t >= now - 10_000);
    return Math.round((recent.length / 10) * 100) / 100;
  }
}
