import type { AgentContext } from '../core/context.js';
import type { LedPattern } from '../gpio/gpio.js';
import { cpuTemperature, type Throttling } from '../telemetry/host.js';
import type { EngineInfo } from '../telemetry/telemetry.js';

/** What the device page shows that lives in other parts, read when a status is sent. */
export interface DeviceProbes extends EngineInfo {
  /** null: results go to the console, there is no broker. */
  brokerConnected(): boolean | null;
  /** null: no status LED. */
  led(): { pattern: LedPattern; simulated: boolean } | null;
  /** A detector's recent object events and their pictures (the event store). */
  objectEvents?: ObjectEventLog;
}

export interface ObjectEventLog {
  recent(): unknown[];
  snapshot(id: string): Promise<Buffer | null>;
}

export interface DeviceStatus {
  /** Epoch seconds. */
  t: number;
  /** Results per second. */
  fps: number;
  /** Frames per second the camera's stream delivers; null for a per-frame camera. */
  streamFps: number | null;
  /** Frames replaced by a newer one before any decoding, since the start. */
  framesDropped: number;
  cpuTempC: number | null;
  broker: boolean | null;
  outboxDepth: number;
  paused: boolean;
  mode: string;
  degraded: Record<string, string>;
  led: { pattern: LedPattern; simulated: boolean } | null;
  engine: string;
  model: string;
  modelSha256: string;
  /** null off a Raspberry Pi (no vcgencmd). */
  throttled: Throttling | null;
}

export async function deviceStatus(ctx: AgentContext, probes: DeviceProbes, throttled: Throttling | null): Promise<DeviceStatus> {
  return {
    t: Date.now() / 1000,
    fps: ctx.stats.fps(),
    streamFps: ctx.stats.stream.frames > 0 ? ctx.stats.stream.rate.perSecond() : null,
    framesDropped: ctx.stats.framesDropped,
    cpuTempC: await cpuTemperature(),
    broker: probes.brokerConnected(),
    outboxDepth: ctx.results?.depth() ?? 0,
    paused: ctx.settings.paused,
    mode: ctx.config.trigger.mode,
    degraded: Object.fromEntries(ctx.degraded),
    led: probes.led(),
    engine: probes.engine(),
    model: probes.model(),
    modelSha256: probes.modelSha256(),
    throttled,
  };
}
