import { execFile } from 'node:child_process';
import { cli } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (the tests run as root; an operator's agent does not). */
  uid?: number;
  gid?: number;
}

/** Runs a Node.js script as a real child process. */
export function runNode(script: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...options.env }, uid: options.uid, gid: options.gid },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs bin/edge-agent as a real child process. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode(cli, args, options);
}
