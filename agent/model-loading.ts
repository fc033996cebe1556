import type { EngineChoice } from '../kernels/engine.js';
import { loadRuntime, type Runtime } from '../kernels/runtime.js';
import { ModelError } from '../kernels/tflite/errors.js';
import { CliError, ExitCode } from './cli-error.js';

/** Loads a model for a command, turning load failures into one-line user errors. */
export async function loadRuntimeForCli(file: string, engine: EngineChoice, threads: number): Promise<Runtime> {
  try {
    const runtime = await loadRuntime(file, { engine, threads });
    if (runtime.fallbackReason && engine === 'auto') {
      process.stderr.write(`edge-agent: using the TypeScript engine: ${runtime.fallbackReason}\n`);
    }
    return runtime;
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
