import type { Logger } from 'pino';
import type { Extension } from './extension.js';

/**
 * Starts the agent's parts in order and stops them in reverse, so each part can rely on
 * the ones before it (the pipeline on the result sink, the sink on the broker). A part
 * that fails to start stops the ones already running and fails start-up.
 */
export class Controller {
  private readonly running: Extension[] = [];

  constructor(private readonly parts: Extension[], private readonly log: Logger) {}

  async start(): Promise<void> {
    for (const part of this.parts) {
      try {
        await part.start();
        this.running.push(part);
        this.log.debug({ part: part.name }, 'started');
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
  }

  async stop(): Promise<void> {
    while (this.running.length > 0) {
      const part = this.running.pop()!;
      try {
        await part.stop();
        this.log.debug({ part: part.name }, 'stopped');
      } catch (err) {
        this.log.error({ err, part: part.name }, 'a part failed to stop cleanly');
      }
    }
  }
}
