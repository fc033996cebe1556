import { freemem, loadavg, totalmem } from 'node:os';
import { buildInfo } from '../core/build-info.js';
import type { AgentContext } from '../core/context.js';
import type { Extension } from '../core/extension.js';
import { EventLoopLag } from './event-loop-lag.js';
import { cpuTemperature, throttling } from './host.js';

const round2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);

/** What the pipeline runs, read at each snapshot (the model can be swapped). */
export interface EngineInfo {
  engine(): string;
  model(): string;
  modelSha256(): string;
}

/**
 * Fleet telemetry: every telemetrySeconds, a snapshot of the host (temperature,
 * throttling, load, memory) and of the agent (rss, event-loop lag, fps, latencies,
 * dropped frames, outbox depth, kernel path, degraded parts), emitted as a 'telemetry'
 * event for the MQTT part to publish.
 */
export class Telemetry implements Extension {
  readonly name = 'telemetry';
  private timer: NodeJS.Timeout | null = null;
  private lag: EventLoopLag | null = null;
  private readonly startedAt = Date.now();

  constructor(private readonly ctx: AgentContext, private readonly engine: EngineInfo) {}

  async start(): Promise<void> {
    this.lag = new EventLoopLag(5);
    this.timer = setInterval(() => {
      this.snapshot()
        .then((t) => this.ctx.events.emit('telemetry', t))
        .catch((err) => this.ctx.log.warn({ err }, 'telemetry snapshot failed'));
    }, this.ctx.config.mqtt.telemetrySeconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.lag?.stop();
    this.timer = null;
  }

  async snapshot(): Promise<Record<string, unknown>> {
    const { ctx } = this;
    const { stats } = ctx;
    const lag = this.lag;
    const eventLoopLagMs = lag?.figures() ?? null;
    lag?.reset();
    const degraded = Object.fromEntries(ctx.degraded);
    return {
      ts: new Date().toISOString(),
      device: ctx.deviceId,
      status: Object.keys(degraded).length > 0 ? 'degraded' : 'ok',
      degraded,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      build: buildInfo(),
      cpuTempC: await cpuTemperature(),
      throttled: await throttling(),
      load: loadavg().map((l) => Math.round(l * 100) / 100),
      memory: { totalMb: Math.round(totalmem() / 2 ** 20), freeMb: Math.round(freemem() / 2 ** 20) },
      rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
      eventLoopLagMs,
      fps: stats.fps(),
      latencyMs: { p50: round2(stats.totalMs.percentile(50)), p95: round2(stats.totalMs.percentile(95)) },
      inferenceMs: { p50: round2(stats.inferenceMs.percentile(50)), p95: round2(stats.inferenceMs.percentile(95)) },
      frames: {
        captured: stats.framesCaptured,
        inferred: stats.framesInferred,
        dropped: stats.framesDropped,
        still: stats.framesStill,
        captureErrors: stats.captureErrors,
        // Captured frames that did not become results, by where they were lost.
        errors: { ...stats.frameErrors },
        triggersCoalesced: stats.triggersCoalesced,
        // The camera's stream (all zero for a per-frame camera): its own rate, what the
        // splitter skipped as garbage or broken frames, and restarts of its program.
        stream: {
          fps: stats.stream.rate.perSecond(),
          frames: stats.stream.frames,
          skippedBytes: stats.stream.skippedBytes,
          skippedFrames: stats.stream.skippedFrames,
          restarts: stats.stream.restarts,
        },
      },
      outboxDepth: ctx.results?.depth() ?? 0,
      paused: ctx.settings.paused,
      engine: this.engine.engine(),
      model: this.engine.model(),
      modelSha256: this.engine.modelSha256(),
    };
  }
}
