import { pino } from 'pino';
import { loadConfig } from '../../../agent/config/load.js';
import { createAgentContext, type AgentContext } from '../../../agent/context.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** An agent context on the real configuration (defaults plus overrides), logging into an array. */
export async function testContext(overrides: Record<string, unknown> = {}): Promise<{ ctx: AgentContext; logs: LogLine[] }> {
  const { config } = await loadConfig({ env: {}, overrides: overrides as never });
  const logs: LogLine[] = [];
  const ctx = createAgentContext({ ...config, device: { id: 'test-device' } }, pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) }), '/tmp');
  return { ctx, logs };
}
