import { join } from 'node:path';
import { reportHealth, type AgentContext } from '../core/context.js';
import type { ObjectEventPayload } from '../pipeline/result.js';
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

/**
 * Opens the outbox of object events in <dataDir>/events-outbox, with its own seq and the
 * configured bounds; its conditions are reported as eventsOutbox, eventsOutboxSeq, eventsOutboxLog.
 */
export function openEventOutbox(ctx: AgentContext): Promise<Outbox<ObjectEventPayload>> {
  const { maxRecords, maxAgeHours, flushMilliseconds } = ctx.config.outbox;
  return Outbox.open<ObjectEventPayload>({
    dir: join(ctx.dataDir, 'events-outbox'),
    noun: 'events',
    highWaterFile: join(ctx.dataDir, 'events-seq-high-water'),
    maxRecords,
    maxAgeHours,
    flushMilliseconds,
    log: ctx.log.child({ part: 'events-outbox' }),
    reportHealth: (condition, reason) => reportHealth(ctx, `events${condition[0].toUpperCase()}${condition.slice(1)}`, reason),
  });
}
