import { Ajv, type ValidateFunction } from 'ajv';

/** The JSON a command answers with on edge/<id>/cmd/<name>/response. */
export type CommandResponse =
  | ({ id: string | null; ok: true } & Record<string, unknown>)
  | { id: string | null; ok: false; error: string };

export interface CommandSpec {
  /** JSON Schema of the arguments (the payload without "id"); unknown keys are refused. */
  args: Record<string, unknown>;
  run(args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Payloads above this are refused before parsing: no command needs more. */
export const MAX_COMMAND_BYTES = 16 * 1024;
/** Longest "id" echoed back in a response. */
const MAX_ID_CHARS = 128;

const isId = (id: unknown): id is string => typeof id === 'string' && id.length <= MAX_ID_CHARS;

/**
 * The "id" of a payload when it is readable, so that a command refused before it reaches
 * execute() (busy, stopping) is answered with the same id execute() would have used.
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
 * one command at a time; every failure becomes an error response and changes nothing.
 */
export class CommandRegistry {
  private readonly commands = new Map<string, { spec: CommandSpec; validate: ValidateFunction }>();
  /** The last command to run: the next one starts after it has settled. */
  private turn: Promise<unknown> = Promise.resolve();

  register(name: string, spec: CommandSpec): void {
    const schema = { type: 'object', additionalProperties: false, ...spec.args };
    this.commands.set(name, { spec, validate: ajv.compile(schema) });
  }

  names(): string[] {
    return [...this.commands.keys()];
  }

  async execute(name: string, payload: Uint8Array | string): Promise<CommandResponse> {
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
    // Commands change shared settings, so they run one at a time whichever way they came
    // in: a pause from the web page never interleaves with a resume over MQTT.
    const run = this.turn.then(() => command.spec.run(args));
    this.turn = run.catch(() => {});
    try {
      return { id, ok: true, ...(await run) };
    } catch (err) {
      return { id, ok: false, error: (err as Error).message };
    }
  }
}
