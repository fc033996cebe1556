import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTIAL_PREFIX, type Downloaded } from './model-download.js';

/** The model update-model made active, as <dataDir>/models/active.json records it. */
export interface ActiveModel {
  /** The model's name in results: the file name the URL gave it, without .tflite. */
  name: string;
  sha256: string;
  /** The labels file's sha256, or null for the labels stored in the model. */
  labelsSha256: string | null;
  /** Where it came from (its password redacted). */
  url: string;
  updatedAt: string;
}

export class ModelStoreError extends Error {
  override name = 'ModelStoreError';
}

const SHA256 = /^[0-9a-f]{64}$/;
const STORED = /^([0-9a-f]{64})\.(tflite|labels)$/;
const RECORD = 'active.json';

export type StoredKind = 'tflite' | 'labels';

/** The sha256 of a file, read as a stream. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `text` to `path` so that a crash leaves the old file or the new one, never a part. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o644);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

function parseRecord(text: string, path: string): ActiveModel {
  let record: Partial<Record<keyof ActiveModel, unknown>>;
  try {
    record = JSON.parse(text) as typeof record;
  } catch (err) {
    throw new ModelStoreError(`${path}: not JSON (${(err as Error).message})`);
  }
  const { name, sha256, labelsSha256, url, updatedAt } = record;
  if (typeof name !== 'string' || name === '' || typeof sha256 !== 'string' || !SHA256.test(sha256)
    || !(labelsSha256 === null || (typeof labelsSha256 === 'string' && SHA256.test(labelsSha256)))
    || typeof url !== 'string' || typeof updatedAt !== 'string') {
    throw new ModelStoreError(`${path}: not a record of an active model (name, sha256, labelsSha256, url, updatedAt)`);
  }
  return { name, sha256, labelsSha256, url, updatedAt };
}

/**
 * The models pushed with update-model, in <dataDir>/models: each file named by its sha256
 * (<sha256>.tflite, <sha256>.labels), so that a file is what its name says and a model
 * sent twice is stored once, and active.json naming the one to start with.
 */
export class ModelStore {
  constructor(readonly dir: string) {}

  path(sha256: string, kind: StoredKind): string {
    return join(this.dir, `${sha256}.${kind}`);
  }

  /** Creates the folder, and removes what downloads a crash cut off. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) if (name.startsWith(PARTIAL_PREFIX)) await rm(join(this.dir, name), { force: true });
  }

  /** The stored file with this sha256, or null when there is none or its content no longer matches its name (a disk that lost it). */
  async find(sha256: string, kind: StoredKind): Promise<string | null> {
    const path = this.path(sha256, kind);
    try {
      return (await fileSha256(path)) === sha256 ? path : null;
    } catch {
      return null;
    }
  }

  /** Moves a verified download to its name. */
  async keep(downloaded: Downloaded, kind: StoredKind): Promise<string> {
    const path = this.path(downloaded.sha256, kind);
    await rename(downloaded.path, path);
    await this.syncDir();
    return path;
  }

  /** The active model's record; null when update-model never ran. Throws ModelStoreError when it cannot be read. */
  async active(): Promise<ActiveModel | null> {
    const path = join(this.dir, RECORD);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ModelStoreError(`${path}: ${(err as Error).message}`);
    }
    return parseRecord(text, path);
  }

  async activate(record: ActiveModel): Promise<void> {
    await writeAtomically(join(this.dir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
    await this.syncDir();
  }

  /** Removes stored models and labels other than `keep` (by sha256); files an operator put here under other names are theirs and stay. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const stored = STORED.exec(name);
      if (stored && !keep.has(stored[1])) await rm(join(this.dir, name), { force: true });
    }
  }

  /** A rename is durable once the folder holding it is synced. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
