// For documented `sudo apt-get install` lines that tests must not run (they change the machine as root).
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** Every package an apt-get line names is one Debian knows (its package lists, as .ci/run's apt-get update left them). */
export function debianKnows(command: string): void {
  const packages = command.replace(/^sudo apt-get install\s+/, '').split(/\s+/).filter((w) => w !== '' && !w.startsWith('-'));
  expect(packages.length).toBeGreaterThan(0);
  const shown = spawnSync('apt-cache', ['show', '--no-all-versions', ...packages], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const known = new Set([...shown.stdout.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]));
  expect(packages.filter((p) => !known.has(p)), shown.stderr).toEqual([]);
}
