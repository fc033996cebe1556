import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../../agent/config/load.js';
import type { AgentContext } from '../../../agent/context.js';
import { CommandRegistry } from '../../../agent/control/registry.js';
import { AgentEvents } from '../../../agent/events.js';
import { RunStats } from '../../../agent/run-stats.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** An agent context on the real configuration (defaults plus overrides), logging into an array. */
export async function testContext(overrides: Record<string, unknown> = {}): Promise<{ ctx: AgentContext; logs: LogLine[] }> {
  const { config } = await loadConfig({ env: {}, overrides: overrides as never });
  const logs: LogLine[] = [];
  const ctx: AgentContext = {
    config,
    deviceId: 'test-device',
    dataDir: '/tmp',
    log: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) }),
    events: new AgentEvents(),
    settings: { paused: false, fps: config.camera.fps, topK: config.model.topK, scoreThreshold: config.model.scoreThreshold },
    stats: new RunStats(),
    commands: new CommandRegistry(),
    metrics: new Registry(),
    results: null,
    degraded: new Map(),
  };
  return { ctx, logs };
}
