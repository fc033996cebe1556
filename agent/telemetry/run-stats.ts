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

/** Where a captured frame can fail to become a result (see pipeline/frame-errors.ts). */
export const FRAME_ERROR_CAUSES = ['motionGate', 'preprocess', 'inference', 'outbox', 'trigger'] as const;
export type FrameErrorCause = (typeof FRAME_ERROR_CAUSES)[number];

/** Events per second over the last ten seconds. */
export class RecentRate {
  private readonly times: number[] = [];

  record(now = Date.now()): void {
    this.times.push(now);
    while (this.times.length > 0 && this.times[0] < now - 10_000) this.times.shift();
  }

  perSecond(now = Date.now()): number {
    const recent = this.times.filter((t) => t >= now - 10_000);
    return Math.round((recent.length / 10) * 100) / 100;
  }
}

/** A continuous camera stream (camera types rpicam, v4l2, rtsp, http, sim-stream); all zero for per-frame cameras. */
export class StreamStats {
  /** Frames that came out of the stream. */
  frames = 0;
  /** Bytes between frames or of frames given up (garbage, a broken or oversize JPEG). */
  skippedBytes = 0;
  /** Frames begun but given up as broken or oversize. */
  skippedFrames = 0;
  /** Times the stream's program was started again after it ended or stalled. */
  restarts = 0;
  readonly rate = new RecentRate();

  recordFrame(now = Date.now()): void {
    this.frames++;
    this.rate.record(now);
  }
}

/** Counters and latency windows of the running agent, read by telemetry and metrics. */
export class RunStats {
  framesCaptured = 0;
  framesInferred = 0;
  /** Frames replaced by a newer one while inference was busy, before any decoding. */
  framesDropped = 0;
  /** Frames the motion gate skipped as still. */
  framesStill = 0;
  /** Trigger edges that arrived while a capture was running and another was already waiting. */
  triggersCoalesced = 0;
  /** Captures the camera failed (the camera part). */
  captureErrors = 0;
  /** Captured frames that did not become results, by cause. */
  readonly frameErrors = Object.fromEntries(FRAME_ERROR_CAUSES.map((c) => [c, 0])) as Record<FrameErrorCause, number>;
  readonly stream = new StreamStats();
  readonly totalMs = new SampleWindow();
  readonly inferenceMs = new SampleWindow();
  private readonly results = new RecentRate();

  recordResult(now = Date.now()): void {
    this.framesInferred++;
    this.results.record(now);
  }

  /** Results per second over the last ten seconds. */
  fps(now = Date.now()): number {
    return this.results.perSecond(now);
  }
}
