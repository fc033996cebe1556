// A copy of the repository as a fresh clone has it: the tracked files only (no
// node_modules/, dist/, build/ or data/), as they are in the working tree.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './paths.js';

export function copyTrackedFiles(into: string): void {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of tracked) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(into, file));
  }
}
