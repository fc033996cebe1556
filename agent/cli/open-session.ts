import { EngineUnavailableError } from '../../kernels/engine-error.js';
import type { EngineChoice } from '../../kernels/engine.js';
import { InferenceSession } from '../../kernels/session.js';
import { ModelError } from '../../kernels/tflite/errors.js';
import { CliError, ExitCode } from './cli-error.js';

/**
 * A failure to load a model, or the engine asked for, as the user's error: a model that is
 * missing or unreadable (66), one that is not a usable model (65), the native engine
 * asked for on a machine without it (69). Null for anything else.
 */
export function loadFailure(err: unknown): CliError | null {
  if (err instanceof ModelError) {
    // Nothing to read there (as for an image or a labels file): 66; something read that is no model: 65.
    return new CliError(err.message, /^(no such file|permission denied|is a directory)/.test(err.reason) ? ExitCode.noInput : ExitCode.dataError);
  }
  if (err instanceof EngineUnavailableError) return new CliError(err.message, ExitCode.unavailable);
  return null;
}

/** Opens a model for a command, turning load failures into one-line user errors. */
export async function openSessionForCli(file: string, engine: EngineChoice, threads: number): Promise<InferenceSession> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.open(file, { engine, threads });
  } catch (err) {
    throw loadFailure(err) ?? err;
  }
  if (session.info.fallbackReason && engine === 'auto') {
    process.stderr.write(`edge-agent: using the TypeScript engine: ${session.info.fallbackReason}\n`);
  }
  // The model loads without what these name (its labels, say): said, not dropped silently.
  for (const warning of session.info.warnings) process.stderr.write(`edge-agent: ${file}: warning: ${warning}\n`);
  return session;
}
