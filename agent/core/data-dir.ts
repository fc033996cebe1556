import { lstat, readlink, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { lockDirectory, type DataDirLock, type LockHolder, type StaleLock } from './data-dir-lock.js';
import { makeDirectory } from './make-directory.js';

/**
 * Whether a data directory can be used, with one line saying why and one saying what to do:
 * - ok: it exists (it was made if it was missing), it can be written, and this process holds
 *   its lock; `replaced` is a lock left by an agent that is gone (killed, crashed, power cut).
 * - degraded: it exists but its disk takes no writes now (read-only, full, failing): the agent
 *   can run, keeping results in memory, but the directory is not locked.
 * - in-use: another agent, still running, holds it.
 * - unusable: it cannot be made or written (a file in the way, no permission, /proc...).
 */
export type DataDirVerdict =
  | { status: 'ok'; dir: string; reason: string; fix: null; lock: DataDirLock; replaced: StaleLock | null }
  | { status: 'degraded'; dir: string; reason: string; fix: string }
  | { status: 'in-use'; dir: string; reason: string; fix: string; holder: LockHolder }
  | { status: 'unusable'; dir: string; reason: string; fix: string };

export type RefusedDataDir = Extract<DataDirVerdict, { status: 'in-use' | 'unusable' }>;

/** A data directory the agent cannot start on; the message is the verdict's reason and fix, on one line. */
export class DataDirError extends Error {
  constructor(readonly verdict: RefusedDataDir) {
    super(`${verdict.reason}; ${verdict.fix}`);
    this.name = 'DataDirError';
  }
}

/** Disk conditions that come and go: the agent runs on, degraded, rather than not at all. */
const DISK_TROUBLE = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EIO']);
const CHOOSE = 'or set dataDir (--data-dir) to a directory this user may write';

function user(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? '';

/** The path itself or its nearest ancestor that exists (lstat: a dangling symlink exists). */
async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    if (await lstat(p).then(() => true, () => false)) return p;
    if (dirname(p) === p) return p;
  }
}

/** The first part of `path` that exists but is not a directory. */
async function fileInTheWay(path: string): Promise<string> {
  const parts: string[] = [];
  for (let p = path; dirname(p) !== p; p = dirname(p)) parts.unshift(p);
  for (const p of parts) {
    const s = await stat(p).catch(() => null);
    if (s && !s.isDirectory()) return p;
  }
  return path;
}

async function whyNotMade(dir: string, err: unknown): Promise<Omit<RefusedDataDir, 'status' | 'dir'>> {
  const code = codeOf(err);
  const who = user();
  const cannot = `the data directory ${dir} cannot be created`;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const file = await fileInTheWay(dir);
    return {
      reason: file === dir ? `the data directory ${dir} is a file, not a directory` : `${cannot}: ${file} is a file, not a directory`,
      fix: `move ${file} away, ${CHOOSE}`,
    };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return {
      reason: `${cannot}: no permission to create it as user ${who} (${code})`,
      fix: `create it for this user (sudo mkdir -p ${dir} && sudo chown ${who} ${dir}), ${CHOOSE}`,
    };
  }
  if (code === 'ENOENT') {
    const parent = await nearestExisting(dir);
    const target = await readlink(parent).catch(() => null);
    return {
      reason: target !== null
        ? `${cannot}: ${parent} cannot hold it (a symlink to ${target}, which does not exist)`
        : `${cannot}: ${parent} cannot hold it (a virtual filesystem such as /proc or /sys)`,
      fix: `set dataDir (--data-dir) to a directory on a disk`,
    };
  }
  if (code === 'EROFS') {
    return { reason: `${cannot}: ${await nearestExisting(dir)} is on a read-only filesystem`, fix: `create it while the filesystem is writable, ${CHOOSE}` };
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') return { reason: `${cannot}: the disk is full (${code})`, fix: `free space on it, ${CHOOSE}` };
  return { reason: `${cannot}: ${(err as Error).message}`, fix: `check the path, ${CHOOSE}` };
}

/**
 * Decides whether `dir` can be created, written and locked, and if so leaves it locked by this
 * process (release the verdict's lock when done). `run` calls it first thing, so an unusable
 * directory is refused before anything else starts; `doctor` calls it and releases at once.
 * It depends on nothing else of the agent's start-up.
 */
export async function claimDataDir(dir: string): Promise<DataDirVerdict> {
  try {
    await makeDirectory(dir);
  } catch (err) {
    return { status: 'unusable', dir, ...(await whyNotMade(dir, err)) };
  }
  let outcome;
  try {
    outcome = await lockDirectory(dir);
  } catch (err) {
    const code = codeOf(err);
    const message = (err as Error).message;
    if (DISK_TROUBLE.has(code)) {
      const what = code === 'EROFS' ? 'is on a read-only filesystem' : code === 'EIO' ? 'cannot be written (EIO: a failing disk?)' : `is on a full disk (${code})`;
      return {
        status: 'degraded',
        dir,
        reason: `the data directory ${dir} ${what}: it is not locked against a second agent, and results are kept in memory until it can be written`,
        fix: code === 'EROFS'
          ? 'remount it read-write; an SD card that the kernel made read-only after I/O errors is failing and needs replacing'
          : code === 'EIO' ? 'check the disk (dmesg) and replace it if it is failing' : 'free space on it',
      };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      const who = user();
      return {
        status: 'unusable',
        dir,
        reason: `the data directory ${dir} cannot be written: no permission as user ${who} (${code})`,
        fix: `give it to this user (sudo chown -R ${who} ${dir}), ${CHOOSE}`,
      };
    }
    return { status: 'unusable', dir, reason: `the data directory ${dir} cannot be locked: ${message}`, fix: `check the directory, ${CHOOSE}` };
  }
  if ('heldBy' in outcome) {
    const { pid } = outcome.heldBy;
    return {
      status: 'in-use',
      dir,
      holder: outcome.heldBy,
      reason: `the data directory ${dir} is in use by another edge-agent (pid ${pid})`,
      fix: `stop that agent first (pm2 stop edge-agent, or kill ${pid}), or give this one another --data-dir`,
    };
  }
  return { status: 'ok', dir, reason: `the data directory ${dir} is writable and locked by this agent`, fix: null, ...outcome };
}
