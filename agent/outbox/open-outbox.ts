import { join } from 'node:path';
import { reportHealth, type AgentContext } from '../core/context.js';
import { Outbox } from './outbox.js';

/** Opens the outbox in <dataDir>/outbox with the configured bounds; its health goes to the context. */
export function openOutbox(ctx: AgentContext): Promise<Outbox> {
  const { maxRecords, maxAgeHours, flushMilliseconds } = ctx.config.outbox;
  return Outbox.open({
    dir: join(ctx.dataDir, 'outbox'),
    highWaterFile: join(ctx.dataDir, 'seq-high-water'),
    maxRecords,
    maxAgeHours,
    flushMilliseconds,
    log: ctx.log.child({ part: 'outbox' }),
    reportHealth: (condition, reason) => reportHealth(ctx, condition, reason),
  });
}
