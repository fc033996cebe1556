// scripts/deploy as a real child process, its output kept whole for the assertions.
import { spawn } from 'node:child_process';
import { repoRoot } from '../support/paths.js';

export interface Run {
  code: number;
  output: string;
  /** What the process was started with, for tests that check what `ps` would show. */
  argv: string[];
}

export function deploy(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const argv = [`${repoRoot}scripts/deploy`, ...args];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code: code ?? 128, output, argv }));
  });
}
