import { join } from 'node:path';
import type { AgentContext } from '../core/context.js';
import type { Extension } from '../core/extension.js';
import { openOutbox } from './open-outbox.js';
import type { Outbox } from './outbox.js';
import type { ResultPayload } from '../pipeline/result.js';

/**
 * Results with no broker to go to: they are numbered and recorded by the same outbox (so
 * seq carries on across runs and into a later MQTT set-up) and acknowledged once logged.
 */
export class ConsoleResults implements Extension {
  readonly name = 'console-results';
  private outbox: Outbox | null = null;
  private readonly onResult = (r: ResultPayload): void => this.outbox?.ack(r.seq);

  constructor(private readonly ctx: AgentContext) {}

  async start(): Promise<void> {
    this.outbox = await openOutbox(this.ctx);
    this.ctx.results = this.outbox;
    this.ctx.events.on('result', this.onResult);
    this.ctx.log.info({ outbox: join(this.ctx.dataDir, 'outbox') }, 'no MQTT broker configured: results go to the log only');
  }

  async stop(): Promise<void> {
    this.ctx.events.off('result', this.onResult);
    await this.outbox?.close();
    this.outbox = null;
  }
}
