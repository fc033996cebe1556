import type { AgentContext } from '../../../agent/core/context.js';
import { createTestContext, type LogRecord } from '../../support/agent-context.js';

export type LogLine = LogRecord;

/**
 * An agent context on the real configuration (defaults plus overrides), logging into an
 * array. Camera and GPIO parts write nothing to the data dir, so none is made for them.
 */
export async function testContext(overrides: Record<string, unknown> = {}): Promise<{ ctx: AgentContext; logs: LogLine[] }> {
  const { ctx, logs } = await createTestContext({ config: overrides, dataDir: '/tmp' });
  return { ctx, logs };
}
