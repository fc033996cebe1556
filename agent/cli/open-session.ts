import type { EngineChoice } from '../../kernels/engine.js';
import { InferenceSession } from '../../kernels/session.js';
import { ModelError } from '../../kernels/tflite/errors.js';
import { CliError, ExitCode } from './cli-error.js';

/** Opens a model for a command, turning load failures into one-line user errors. */
export async function openSessionForCli(file: string, engine: EngineChoice, threads: number): Promise<InferenceSession> {
  try {
    const session = await InferenceSession.open(file, { engine, threads });
    if (session.info.fallbackReason && engine === 'auto') {
      process.stderr.write(`edge-agent: using the TypeScript engine: ${session.info.fallbackReason}\n`);
    }
    return session;
  } catch (err) {
    if (err instanceof ModelError) {
      const missing = /no such file/.test(err.message);
      throw new CliError(err.message, missing ? ExitCode.noInput : ExitCode.dataError);
    }
    if (err instanceof Error && /native engine is unavailable/.test(err.message)) {
      throw new CliError(err.message, ExitCode.software);
    }
    throw err;
  }
}
