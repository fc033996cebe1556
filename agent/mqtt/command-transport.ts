import type { Logger } from 'pino';
import { commandId, MAX_COMMAND_BYTES, type CommandResponse } from '../control/registry.js';

export type ExecuteCommand = (name: string, payload: Buffer) => Promise<CommandResponse>;
export type Respond = (name: string, response: CommandResponse) => void;

/** Commands waiting to run; beyond this a command is answered "busy" at once. */
const MAX_QUEUED_COMMANDS = 32;

/**
 * Runs commands that arrive over MQTT one at a time, in arrival order, so their responses
 * go out in that order too (the registry also keeps commands from every way in from
 * running concurrently). The queue is bounded (32 commands of at most
 * MAX_COMMAND_BYTES each): a flood is answered with error responses instead of piling up
 * memory. Every command gets exactly one response.
 */
export class CommandQueue {
  private readonly queue: { name: string; payload: Buffer }[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  private refusing = false;

  constructor(
    private readonly execute: ExecuteCommand,
    private readonly respond: Respond,
    private readonly log: Logger,
  ) {}

  push(name: string, payload: Buffer): void {
    if (this.closed) {
      this.respond(name, { id: commandId(payload), ok: false, error: 'the agent is stopping' });
      return;
    }
    if (payload.length > MAX_COMMAND_BYTES) {
      // Refused by size before anything runs, so it need not wait its turn (nor hold memory in the queue).
      void this.run(name, payload);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_COMMANDS) {
      if (!this.refusing) this.log.warn({ queued: this.queue.length }, 'commands arrive faster than they run; refusing new ones until the queue drains');
      this.refusing = true;
      this.respond(name, { id: commandId(payload), ok: false, error: `busy: ${this.queue.length} commands are waiting; try again later` });
      return;
    }
    this.queue.push({ name, payload });
    this.running ??= this.drain();
  }

  /** Resolves when no command is running or waiting. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Later commands are answered with an error; those already queued still run. */
  close(): void {
    this.closed = true;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.run(next.name, next.payload);
    this.refusing = false;
    this.running = null;
  }

  private async run(name: string, payload: Buffer): Promise<void> {
    let response: CommandResponse;
    try {
      response = await this.execute(name, payload);
    } catch (err) {
      response = { id: commandId(payload), ok: false, error: (err as Error).message };
    }
    this.log.debug({ command: name.slice(0, 64), ok: response.ok }, 'command');
    this.respond(name, response);
  }
}
