import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AgentConfig } from '../config/types.js';
import { CommandRegistry } from '../control/registry.js';
import { AgentEvents } from './events.js';
import type { ObjectEventSink, ResultSink } from '../pipeline/result.js';
import { RunStats } from '../telemetry/run-stats.js';

/** Settings that commands may change while the agent runs. */
export interface LiveSettings {
  paused: boolean;
  fps: number;
  topK: number;
  scoreThreshold: number;
}

/**
 * The one object every part of the agent is built on: configuration, logging, the event
 * bus, live settings, statistics, the command registry and where results go.
 */
export interface AgentContext {
  readonly config: AgentConfig;
  readonly deviceId: string;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  readonly log: Logger;
  readonly events: AgentEvents;
  readonly settings: LiveSettings;
  readonly stats: RunStats;
  readonly commands: CommandRegistry;
  readonly metrics: Registry;
  /** Set by the part that delivers results (mqtt, or the console when there is no broker). */
  results: ResultSink | null;
  /** Set by the mqtt part: where a detector's object events go (none without a broker). */
  objectEvents: ObjectEventSink | null;
  /** Health of each part; a part is degraded while it has a reason here. */
  readonly degraded: Map<string, string>;
}

/** A fresh context for a configuration: live settings start from the configured values. */
export function createAgentContext(config: AgentConfig, log: Logger, dataDir: string): AgentContext {
  return {
    config,
    deviceId: config.device.id!,
    dataDir,
    log,
    events: new AgentEvents(),
    settings: { paused: false, fps: config.camera.fps, topK: config.model.topK, scoreThreshold: config.model.scoreThreshold },
    stats: new RunStats(),
    commands: new CommandRegistry(log.child({ part: 'commands' })),
    metrics: new Registry(),
    results: null,
    objectEvents: null,
    degraded: new Map(),
  };
}

/** Marks a part degraded with a reason (or recovered, with null) and tells the other parts. */
export function reportHealth(ctx: AgentContext, part: string, reason: string | null): void {
  if (reason === null) ctx.degraded.delete(part);
  else ctx.degraded.set(part, reason);
  ctx.events.emit('health', { part, degraded: reason !== null, reason });
}
