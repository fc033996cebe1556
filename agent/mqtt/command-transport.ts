import type { Logger } from 'pino';
import { commandId, isBusy, type CommandResponse, type ExecuteOptions } from '../control/registry.js';
import { payloadDigest, RecentCommands } from './recent-commands.js';

export type ExecuteCommand = (name: string, payload: Buffer, options: ExecuteOptions) => Promise<CommandResponse>;
export type Respond = (name: string, response: CommandResponse) => void;

/**
 * Ids remembered to answer a repeat, and for how long. What a broker redelivers after a
 * reconnect is at most its in-flight window (mosquitto's max_inflight_messages: 20), and a
 * client that sends again after a lost response does so within its own timeout; an hour
 * and 256 ids cover both with room, at a few hundred bytes each.
 */
const REMEMBERED_COMMANDS = 256;
const REMEMBERED_FOR_MS = 60 * 60 * 1000;
/** Topics already warned about as retained; a flood of retained topics stops warning past this. */
const MAX_WARNED_TOPICS = 256;

export interface IncomingCommand {
  topic: string;
  /** The command the topic names. */
  name: string;
  payload: Buffer;
  /** The broker's retain flag: a stored message sent because we subscribed, not a command sent now. */
  retained: boolean;
}

/**
 * Commands that arrive over MQTT, each run once and only when someone meant it now:
 * - a retained command is not run (the broker hands it over at every subscription, so it
 *   would run at every start): one warning per topic says how to clear it;
 * - an empty payload is ignored without a response: it is how a retained message is cleared;
 * - a command without an "id" is refused with an error response;
 * - a command whose name and id were seen in the last hour is answered with the first
 *   response again instead of running twice (a redelivery over the persistent session,
 *   or a client sending again after a lost response); the same id with another payload is
 *   refused, since it is not a repeat but a reused id.
 * The registry runs them (one at a time, read-only ones at once, its bound shared with the
 * web page); every delivery of a command gets exactly one response.
 */
export class CommandTransport {
  private readonly recent = new RecentCommands(REMEMBERED_COMMANDS, REMEMBERED_FOR_MS);
  private readonly warnedRetained = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly execute: ExecuteCommand,
    private readonly respond: Respond,
    private readonly log: Logger,
  ) {}

  receive({ topic, name, payload, retained }: IncomingCommand): void {
    if (payload.length === 0) {
      this.warnedRetained.delete(topic);
      this.log.debug({ topic }, 'empty command payload ignored (a retained command being cleared)');
      return;
    }
    if (retained) {
      this.warnRetained(topic);
      return;
    }
    const id = commandId(payload);
    if (this.closed) {
      this.respond(name, { id, ok: false, error: 'the agent is stopping' });
      return;
    }
    this.answer(name, id === null ? this.run(name, payload, null) : this.once(name, id, payload));
  }

  /** Resolves when every command received so far has been answered. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Later commands are answered with an error; those already received are still answered. */
  close(): void {
    this.closed = true;
  }

  private once(name: string, id: string, payload: Buffer): Promise<CommandResponse> {
    const digest = payloadDigest(payload);
    const earlier = this.recent.get(name, id);
    if (earlier?.digest === digest) {
      this.log.debug({ command: name.slice(0, 64), id }, 'command delivered again: answered with its first response, not run');
      return earlier.response;
    }
    if (earlier) {
      return Promise.resolve({ id, ok: false, error: `refused: id '${id}' was used for another ${name.slice(0, 64)} command within the last hour; send each command with a new id` });
    }
    const response = this.run(name, payload, id);
    this.recent.set(name, id, { digest, response });
    // "busy" asks for the same command again later: that one must run.
    void response.then((r) => isBusy(r) && this.recent.forget(name, id, response));
    return response;
  }

  private run(name: string, payload: Buffer, id: string | null): Promise<CommandResponse> {
    return this.execute(name, payload, { requireId: true }).catch((err: Error) => ({ id, ok: false as const, error: err.message }));
  }

  private answer(name: string, response: Promise<CommandResponse>): void {
    const answered = response
      .then((r) => {
        this.log.debug({ command: name.slice(0, 64), ok: r.ok }, 'command');
        this.respond(name, r);
      })
      .catch((err: Error) => this.log.error({ command: name.slice(0, 64), err: err.message }, 'cannot send a command response'));
    this.pending.add(answered);
    void answered.finally(() => this.pending.delete(answered));
  }

  private warnRetained(topic: string): void {
    if (this.warnedRetained.has(topic) || this.warnedRetained.size >= MAX_WARNED_TOPICS) return;
    this.warnedRetained.add(topic);
    this.log.warn(
      { topic },
      `ignored a retained command: the broker keeps it and would hand it over at every start; clear it with: mosquitto_pub -r -n -t ${shellWord(topic)}`,
    );
  }
}

/** `text` as one word for a POSIX shell, quoted only when it has to be (a topic is copied from the log). */
const shellWord = (text: string): string => (/^[\w./+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`);
