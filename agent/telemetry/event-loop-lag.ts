import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LagFigures {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Event-loop lag in milliseconds. Node's histogram records the whole interval between its
 * timer's wake-ups, the resolution included (an idle loop at resolution 10 reports 10 ms),
 * so the resolution is taken off to leave the delay alone.
 */
export class EventLoopLag {
  private readonly histogram: IntervalHistogram;

  constructor(private readonly resolutionMs: number) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  figures(): LagFigures {
    const lag = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - this.resolutionMs) * 100) / 100);
    const h = this.histogram;
    return { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max) };
  }

  reset(): void {
    this.histogram.reset();
  }

  stop(): void {
    this.histogram.disable();
  }
}
