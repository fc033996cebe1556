import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

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

  constructor(readonly dir: string) {
    this.path = join(dir, 'results.log');
    this.tmp = `${this.path}.tmp`;
  }

  /** The log's bytes, or null when there is none yet. Removes a compaction a crash left behind. */
  async read(): Promise<Buffer | null> {
    await mkdir(this.dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
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

  /** Replaces the log with `bytes`, durably: temporary file, fsync, rename, fsync of the folder. */
  async replace(bytes: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true });
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
