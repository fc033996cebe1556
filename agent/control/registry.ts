import { Ajv, type ValidateFunction } from 'ajv';
import type { Logger } from 'pino';

/** The JSON a command answers with on edge/<id>/cmd/<name>/response. */
export type CommandResponse =
  | ({ id: string | null; ok: true } & Record<string, unknown>)
  | { id: string | null; ok: false; error: string };

export interface CommandSpec {
  /** JSON Schema of the arguments (the payload without "id"); unknown keys are refused. */
  args: Record<string, unknown>;
  /** Reads state and changes nothing: answered at once, without waiting for the turn of the commands that do. */
  readOnly?: boolean;
  /**
   * Work that changes nothing shared (a download), done as soon as the command arrives,
   * before it waits for its turn, so that a long one holds up no other command. What it
   * gives is passed to run; a failure answers the command.
   */
  prepare?(args: Record<string, unknown>): Promise<unknown>;
  run(args: Record<string, unknown>, prepared: unknown): Promise<Record<string, unknown>>;
}

/** Payloads above this are refused before parsing: no command needs more. */
export const MAX_COMMAND_BYTES = 16 * 1024;
/** Longest "id" echoed back in a response. */
const MAX_ID_CHARS = 128;

/**
 * Commands admitted and not yet finished (the running one included), from every way in
 * together: beyond this a command is answered "busy" at once instead of piling up.
 */
export const MAX_WAITING_COMMANDS = 32;
const BUSY = 'busy:';

const isId = (id: unknown): id is string => typeof id === 'string' && id.length <= MAX_ID_CHARS;

/** A refusal that asks the sender to try again later (so a repeat of its id must run, not replay it). */
export const isBusy = (response: CommandResponse): boolean => !response.ok && response.error.startsWith(BUSY);

export interface ExecuteOptions {
  /**
   * Refuse a payload without an "id". Over MQTT the id is all that ties a response to its
   * command and tells a redelivery from a new command; an HTTP request needs none.
   */
  requireId?: boolean;
}

/**
 * The "id" of a payload when it is readable, so that a command answered without execute()
 * (the agent stopping, a repeat) is answered with the same id execute() would have used.
 */
export function commandId(payload: Buffer): string | null {
  if (payload.length > MAX_COMMAND_BYTES) return null;
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown } | null)?.id;
    return isId(id) ? id : null;
  } catch {
    return null;
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * The commands the agent accepts, shared by every way in (MQTT, the web page): each
 * payload is size-checked, parsed, validated against the command's schema and then run,
 * one command at a time (read-only ones at once), at most MAX_WAITING_COMMANDS admitted;
 * every failure becomes an error response and changes nothing.
 */
export class CommandRegistry {
  private readonly commands = new Map<string, { spec: CommandSpec; validate: ValidateFunction }>();
  /** The last command to run: the next one starts after it has settled. */
  private turn: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  /** Refusing as busy since the queue last drained (the warning is given once per episode). */
  private refusing = false;

  constructor(private readonly log: Logger) {}

  register(name: string, spec: CommandSpec): void {
    const schema = { type: 'object', additionalProperties: false, ...spec.args };
    this.commands.set(name, { spec, validate: ajv.compile(schema) });
  }

  names(): string[] {
    return [...this.commands.keys()];
  }

  async execute(name: string, payload: Uint8Array | string, options: ExecuteOptions = {}): Promise<CommandResponse> {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size > MAX_COMMAND_BYTES) {
      return { id: null, ok: false, error: `payload of ${size} bytes is over the ${MAX_COMMAND_BYTES}-byte limit` };
    }
    let parsed: unknown;
    try {
      const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      return { id: null, ok: false, error: `payload is not JSON: ${(err as Error).message}` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { id: null, ok: false, error: 'payload must be a JSON object like {"id": "...", ...}' };
    }
    const { id = null, ...args } = parsed as Record<string, unknown>;
    if (id !== null && !isId(id)) {
      return { id: null, ok: false, error: `"id" must be a string of at most ${MAX_ID_CHARS} characters` };
    }
    if (id === null && options.requireId) {
      return { id: null, ok: false, error: `refused: no "id"; send one (a string of at most ${MAX_ID_CHARS} characters) to match the response and to have a repeat recognised` };
    }
    const command = this.commands.get(name);
    if (!command) {
      return { id, ok: false, error: `unknown command '${name.slice(0, 64)}'; commands: ${this.names().join(', ')}` };
    }
    if (!command.validate(args)) {
      const problems = (command.validate.errors ?? []).map((e) =>
        e.keyword === 'additionalProperties'
          ? `unknown argument '${(e.params as { additionalProperty: string }).additionalProperty}'`
          : `${e.instancePath.slice(1) || 'arguments'} ${e.message}`,
      );
      return { id, ok: false, error: `bad arguments for ${name}: ${problems.join('; ')}` };
    }
    if (command.spec.readOnly) return answer(id, command.spec.run(args, undefined));
    if (this.waiting >= MAX_WAITING_COMMANDS) {
      if (!this.refusing) this.log.warn({ waiting: this.waiting }, 'commands arrive faster than they run; refusing new ones until the queue drains');
      this.refusing = true;
      return { id, ok: false, error: `${BUSY} ${this.waiting} commands are waiting; try again later` };
    }
    // Commands change shared settings, so they run one at a time whichever way they came
    // in: a pause from the web page never interleaves with a resume over MQTT.
    this.waiting++;
    try {
      const prepared = await command.spec.prepare?.(args);
      const run = this.turn.then(() => command.spec.run(args, prepared));
      this.turn = run.catch(() => {});
      return await answer(id, run);
    } catch (err) {
      return { id, ok: false, error: (err as Error).message };
    } finally {
      if (--this.waiting === 0) this.refusing = false;
    }
  }
}

async function answer(id: string | null, run: Promise<Record<string, unknown>>): Promise<CommandResponse> {
  try {
    return { id, ok: true, ...(await run) };
  } catch (err) {
    return { id, ok: false, error: (err as Error).message };
  }
}
