import { constants } from 'node:fs';
import { lstat, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory } from '../core/make-directory.js';

/**
 * The outbox's files: `results.log`, appended to in batches, and `results.log.tmp`, where
 * a compacted log is written before it is renamed over the old one (a crash leaves either
 * the old or the new log, never half of one).
 *
 * Each batch opens the log by path, without creating it: a log deleted or replaced
 * under the agent is noticed as an error instead of writes going on into an unlinked file.
 */
export class OutboxFile {
  readonly path: string;
  private readonly tmp: string;

  constructor(readonly dir: string, name = 'results.log') {
    this.path = join(dir, name);
    this.tmp = `${this.path}.tmp`;
  }

  /** The log's bytes, or null when there is none yet. Removes a compaction a crash left behind. */
  async read(): Promise<Buffer | null> {
    await makeDirectory(this.dir).catch((err: NodeJS.ErrnoException) => {
      // A read-only data dir that already holds the outbox can still be read.
      if (err.code !== 'EROFS' && err.code !== 'EACCES') throw err;
    });
    await rm(this.tmp, { force: true }).catch(() => {});
    try {
      return await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async append(bytes: Buffer): Promise<void> {
    const handle = await open(this.path, constants.O_WRONLY | constants.O_APPEND);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Renames a log that cannot be read to results.log.damaged-<time>, never over another file,
   * and returns the new path (null if there is no log any more).
   */
  async keepAside(): Promise<string | null> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (let n = 1; ; n++) {
      const target = `${this.path}.damaged-${stamp}${n > 1 ? `-${n}` : ''}`;
      // The data dir is locked by this agent: nothing else makes files here between the check and the rename.
      if (await lstat(target).then(() => true, () => false)) continue;
      try {
        await rename(this.path, target);
        return target;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    }
  }

  /** Replaces the log with `bytes`, durably: temporary file, fsync, rename, fsync of the folder. */
  async replace(bytes: Buffer): Promise<void> {
    await makeDirectory(this.dir);
    const handle = await open(this.tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.tmp, this.path);
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
