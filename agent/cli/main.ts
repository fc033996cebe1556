import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { installDir } from '../core/install-dir.js';
import { redactSecrets } from '../logging/redaction.js';
import { CliError, ExitCode } from './cli-error.js';
import { benchCommand } from './bench.js';
import { classifyCommand } from './classify.js';
import { detectCommand } from './detect.js';
import { doctorCommand } from './doctor.js';
import { fleetCommand } from './fleet.js';
import { inspectCommand } from './inspect.js';
import { runCommand } from './run.js';

function version(): string {
  return (JSON.parse(readFileSync(join(installDir, 'package.json'), 'utf8')) as { version: string }).version;
}

function buildProgram(): Command {
  const program = new Command('edge-agent')
    .description('Quantized MobileNet vision sensor for Raspberry Pi fleets')
    .version(version(), '-V, --version', 'print the version')
    .option('--verbose', 'show stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const command of [runCommand, classifyCommand, detectCommand, benchCommand, inspectCommand, doctorCommand, fleetCommand]) {
    program.addCommand(command.exitOverride());
  }
  return program;
}

/**
 * Ends the process when stdout fails. A reader that went away (`classify ... | head -1`) is
 * the normal end of a pipeline: nothing is printed and the exit code is the shell's for a
 * tool that SIGPIPE ended (Node ignores that signal, so it would never come). Any other
 * failure to write the results (a full disk) is one line.
 */
function exitWhenStdoutFails(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.brokenPipe);
    process.stderr.write(`edge-agent: cannot write to stdout: ${err.message}\n`);
    process.exit(ExitCode.ioError);
  });
}

/** Runs the CLI and returns the exit code; errors become one to three lines on stderr. */
export async function main(argv: string[]): Promise<number> {
  exitWhenStdoutFails();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (help, version or a usage error).
      return err.exitCode === 0 ? 0 : ExitCode.usage;
    }
    const verbose = argv.includes('--verbose');
    if (err instanceof CliError) {
      process.stderr.write(`edge-agent: ${redactSecrets(err.message)}\n`);
      if (verbose && err.stack) process.stderr.write(err.stack + '\n');
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`edge-agent: internal error: ${redactSecrets(message)}\n`);
    process.stderr.write(verbose && err instanceof Error ? `${err.stack}\n` : 'edge-agent: run again with --verbose for details\n');
    return ExitCode.software;
  }
}
