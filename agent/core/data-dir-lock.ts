import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The lock file in the data directory. */
export const LOCK_FILE = 'agent.lock';

/** Who holds a data directory: enough to tell later, after a crash or a reboot, whether it still runs. */
export interface LockHolder {
  pid: number;
  /** /proc/sys/kernel/random/boot_id: a new one after every boot, so a lock from before a power cut is known as such. */
  bootId: string | null;
  /** When the process started, in clock ticks since boot (/proc/<pid>/stat): a pid used again by another process has another. */
  startTicks: number | null;
}

/** A lock that was taken over, and why its holder was judged gone. */
export interface StaleLock {
  holder: LockHolder | null;
  why: string;
}

export type LockOutcome = { lock: DataDirLock; replaced: StaleLock | null } | { heldBy: LockHolder };

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

async function currentBootId(): Promise<string | null> {
  return readFile(BOOT_ID, 'utf8').then((s) => s.trim(), () => null);
}

async function startTicksOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** The lock record of a running process (null fields where /proc does not tell). */
export async function describeProcess(pid: number): Promise<LockHolder> {
  return { pid, bootId: await currentBootId(), startTicks: await startTicksOf(pid) };
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why the holder of a lock is gone, or null while it runs. */
async function whyGone(holder: LockHolder): Promise<string | null> {
  const bootId = await currentBootId();
  if (holder.bootId && bootId && holder.bootId !== bootId) return 'it was taken before the last reboot (a power cut or a crash of the machine)';
  if (!running(holder.pid)) return 'that process is not running (it was killed or crashed)';
  if (holder.startTicks !== null) {
    const ticks = await startTicksOf(holder.pid);
    if (ticks !== null && ticks !== holder.startTicks) return 'that pid is now another process (the agent that took the lock is gone)';
  }
  return null;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const { pid, bootId, startTicks } = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(pid) || pid! <= 0) return null;
    if (bootId !== null && typeof bootId !== 'string') return null;
    if (startTicks !== null && !Number.isSafeInteger(startTicks)) return null;
    return { pid: pid!, bootId, startTicks } as LockHolder;
  } catch {
    return null;
  }
}

/** The lock file as it is now (its inode and holder), or null if there is none. */
async function readLock(file: string): Promise<{ ino: number; holder: LockHolder | null } | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { ino } = await handle.stat();
    return { ino, holder: parseHolder(await handle.readFile('utf8')) };
  } finally {
    await handle.close();
  }
}

/**
 * Removes the lock file if it is still the one with inode `ino`: another agent may have taken
 * the lock over since it was read. It is moved aside first and put back if it was not that one.
 */
async function removeIfSame(file: string, ino: number): Promise<boolean> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    if ((await stat(aside)).ino === ino) return true;
    await link(aside, file).catch(() => {});
    return false;
  } finally {
    await unlink(aside).catch(() => {});
  }
}

/**
 * A held lock on a data directory: <dir>/agent.lock holding this process's LockHolder.
 * A lock file rather than an OS lock (Node has no flock): it survives the process, so a
 * crash or a power cut leaves it behind, and the next agent takes it over once it has checked
 * that the holder is gone (another boot, a pid not running, or a pid now used by a process that
 * started at another time).
 */
export class DataDirLock {
  private released = false;

  constructor(readonly file: string, private readonly ino: number) {}

  /** Removes the lock file, if it is still this one. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if ((await stat(this.file)).ino === this.ino) await unlink(this.file);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/**
 * Locks `dir` for this process. The lock file is made whole under a name of its own and
 * hard-linked into place, which fails if a lock file exists, so two agents starting at once
 * cannot both win. A lock whose holder is gone is removed (if no one replaced it meanwhile) and
 * the link tried again. Errors writing the directory (EACCES, EROFS, ENOSPC...) are thrown,
 * unless a running agent holds the lock, which is what matters then.
 */
export async function lockDirectory(dir: string): Promise<LockOutcome> {
  const file = join(dir, LOCK_FILE);
  const mine = `${file}.${process.pid}`;
  try {
    await writeFile(mine, JSON.stringify(await describeProcess(process.pid)) + '\n');
  } catch (err) {
    await unlink(mine).catch(() => {});
    const found = await readLock(file).catch(() => null);
    if (found?.holder && (await whyGone(found.holder)) === null) return { heldBy: found.holder };
    throw err;
  }
  try {
    let replaced: StaleLock | null = null;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await link(mine, file);
        return { lock: new DataDirLock(file, (await stat(file)).ino), replaced };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const found = await readLock(file);
      if (!found) continue;
      const why = found.holder ? await whyGone(found.holder) : 'the lock file could not be read (damaged by a power cut?)';
      if (why === null) return { heldBy: found.holder! };
      if (await removeIfSame(file, found.ino)) replaced = { holder: found.holder, why };
    }
    throw new Error(`cannot lock ${dir}: ${LOCK_FILE} kept changing (other agents starting on it at the same time)`);
  } finally {
    await unlink(mine).catch(() => {});
  }
}
