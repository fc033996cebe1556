import { join } from 'node:path';
import { AgentPart } from '../core/extension.js';
import { openOutbox } from './open-outbox.js';
import type { Outbox } from './outbox.js';
import type { ResultPayload } from '../pipeline/result.js';

/**
 * Results with no broker to go to: they are numbered and recorded by the same outbox (so
 * seq carries on across runs and into a later MQTT set-up) and acknowledged once logged.
 */
export class ConsoleResults extends AgentPart {
  readonly name = 'console-results';
  private outbox: Outbox | null = null;
  private readonly onResult = (r: ResultPayload): void => this.outbox?.ack(r.seq);

  async start(): Promise<void> {
    this.outbox = await openOutbox(this.ctx);
    this.ctx.results = this.outbox;
    this.listen('result', this.onResult);
    this.ctx.log.info({ outbox: join(this.ctx.dataDir, 'outbox') }, 'no MQTT broker configured: results go to the log only');
  }

  override async stop(): Promise<void> {
    await this.outbox?.close();
    this.outbox = null;
    await super.stop();
  }
}
