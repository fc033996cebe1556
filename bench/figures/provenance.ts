// Where a figure comes from: the command that printed it, when, from which commit (and
// whether the tree had changes the commit does not hold), on which CPU and Node. Every
// figure the docs show carries one, shown beside it, so that a reader can tell how old a
// figure is and run the command again.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { installDir } from '../../agent/core/install-dir.js';

export interface Provenance {
  /** The command as a user types it in the repository's root. */
  command: string;
  /** ISO 8601, when the figures were recorded. */
  date: string;
  /** The commit checked out, or null outside a git checkout (or for figures recorded before commits were). */
  commit: string | null;
  /** Whether tracked files differed from that commit (null when unknown). */
  dirty: boolean | null;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  /** The 1-minute load average when the figures were recorded: other work on a shared machine shows here (null: not recorded). */
  loadAverage: number | null;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: installDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The provenance of figures `command` printed just now. */
export function provenance(command: string): Provenance {
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  const cpu = cpus();
  return {
    command,
    date: new Date().toISOString(),
    commit,
    dirty: status === null ? null : status !== '',
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}, kernel ${release()}`,
    loadAverage: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** The command line as typed: arguments with spaces or quotes are quoted. */
export function commandLine(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** One line for the docs: the command, then when, where and on what it ran. */
export function describeProvenance(p: Provenance): string {
  const commit = p.commit === null ? 'commit not recorded' : `commit ${p.commit.slice(0, 10)}${p.dirty === true ? ' with uncommitted changes' : p.dirty === false ? '' : ' (tree state unknown)'}`;
  return (
    `Printed by \`${p.command}\` on ${p.date.slice(0, 16).replace('T', ' ')} UTC, ${commit}; ` +
    `${p.cpu}, ${p.cores} cores, ${p.memoryGb} GB${p.loadAverage === null ? '' : `, 1-minute load average ${p.loadAverage} when recorded`}; Node ${p.node}, ${p.platform}.`
  );
}
