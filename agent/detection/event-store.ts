import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory } from '../core/make-directory.js';

export type EventType = 'new' | 'update' | 'end';

/** What the store needs of an event; the rest of it is the caller's, kept as JSON (a Date comes back as a string). */
export interface BaseEvent {
  id: string;
  type: EventType;
  /** When, in milliseconds since the Unix epoch. */
  time: number;
}

/** An event of any other fields. */
export interface StoredEvent extends BaseEvent {
  [field: string]: unknown;
}

export interface EventEntry<E extends BaseEvent = StoredEvent> {
  /** The latest state recorded for the event. */
  event: Readonly<E>;
  hasSnapshot: boolean;
  /** What the entry takes on disk: its event file and its snapshot. */
  bytes: number;
}

export interface EventStoreOptions {
  /** At most this many events are kept. */
  maxEntries?: number;
  /** At most this many bytes on disk, snapshots included. */
  maxBytes?: number;
}

export const DEFAULT_MAX_EVENTS = 100;
export const DEFAULT_MAX_EVENT_BYTES = 20 * 1024 * 1024;

const EVENT_TYPES: readonly string[] = ['new', 'update', 'end'] satisfies EventType[];
const EVENT_FILE = /^[0-9a-f]{32}\.json$/;
const SNAPSHOT_FILE = /^[0-9a-f]{32}\.jpg$/;
// One of each at a time: records are written one after another.
const EVENT_TEMP = 'incoming-event.tmp';
const SNAPSHOT_TEMP = 'incoming-snapshot.tmp';
const JPEG_START = Buffer.from([0xff, 0xd8, 0xff]);

/** What an event file holds. */
interface EventFile<E extends BaseEvent> {
  /** Order of recording, across restarts: the wall clock of a Pi without an RTC can go back. */
  seq: number;
  /** The size of the snapshot this state goes with, or null when there is none: a snapshot of another size is not it. */
  snapshotBytes: number | null;
  event: E;
}

interface Entry<E extends BaseEvent> extends EventFile<E> {
  key: string;
  eventBytes: number;
}

/** Why `event` cannot be stored, or null when it can. */
export function eventProblem(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'an event must be a JSON object';
  const { id, type, time } = event as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') return 'an event needs an id, a non-empty string';
  if (typeof type !== 'string' || !EVENT_TYPES.includes(type)) return `event ${id}: type must be one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(type)}`;
  if (typeof time !== 'number' || !Number.isFinite(time)) return `event ${id}: time must be a number (milliseconds since the Unix epoch), got ${JSON.stringify(time)}`;
  return null;
}

/** File names from a hash of the id: ids are the tracker's to choose, and may hold slashes or be of any length. */
const keyOf = (id: string): string => createHash('sha256').update(id).digest('hex').slice(0, 32);

const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/** The error of a file operation, with the file it was for in its message (Node leaves it out of write errors). */
function fileError(action: string, path: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(`event store: cannot ${action} ${path}: ${reason}`, { cause: err }), { code: errnoOf(err), path });
}

/**
 * The recent events, on disk in one directory (<dataDir>/events), each with its latest state
 * and snapshot: `<key>.json` holds { seq, snapshotBytes, event }, `<key>.jpg` the snapshot.
 * Bounded by count and bytes; the entry recorded longest ago goes first (an event that is
 * updated is recorded again, so one still going on is not lost to newer ones).
 *
 * Each file is written under a temporary name, synced and renamed into place, the new
 * snapshot and event file both written before either is renamed: a crash or a full disk
 * leaves each file whole, old or new, and at worst a snapshot that does not go with its event
 * file any more, which is dropped on loading. The event files are held in memory (bounded by
 * the store's bounds), snapshots are read from disk when asked for.
 *
 * One store per directory: the agent's data directory is locked to one agent.
 */
export class EventStore<E extends BaseEvent = StoredEvent> {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    /** Oldest first: recording an event again moves it to the end. */
    private readonly entries: Map<string, Entry<E>>,
    private nextSeq: number,
  ) {}

  /**
   * Loads the store in `dir`, making the directory if need be. What cannot be loaded (an
   * event file that is not valid, a snapshot that does not match its event) is removed,
   * so that it takes no space outside the bounds, and described in `problems`; temporary
   * files left by a crash are removed without a word. Rejects only when the directory
   * cannot be made or listed, or an entry beyond (smaller) bounds cannot be removed.
   */
  static async open<E extends BaseEvent = StoredEvent>(dir: string, options: EventStoreOptions = {}): Promise<{ store: EventStore<E>; problems: string[] }> {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_EVENTS;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`event store: maxEntries must be a positive integer, got ${maxEntries}`);
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`event store: maxBytes must be a positive integer, got ${maxBytes}`);
    await makeDirectory(dir);
    const names = await readdir(dir);
    const problems: string[] = [];
    const loaded = new Map<string, Entry<E>>();
    const damaged = new Set<string>();
    for (const name of names.filter((n) => EVENT_FILE.test(n))) {
      const key = name.slice(0, -'.json'.length);
      const entry = await loadEntry<E>(join(dir, name), key, maxBytes, problems);
      if (entry) loaded.set(key, entry);
      else damaged.add(key);
    }
    for (const temp of [EVENT_TEMP, SNAPSHOT_TEMP]) await rm(join(dir, temp), { force: true });
    const snapshots = new Set(names.filter((n) => SNAPSHOT_FILE.test(n)));
    for (const name of snapshots) {
      const key = name.slice(0, -'.jpg'.length);
      const entry = loaded.get(key);
      const reason = await snapshotProblem(join(dir, name), entry);
      if (reason === null) continue;
      // An event file's problem is reported already; its snapshot goes with it.
      if (damaged.has(key)) await rm(join(dir, name), { force: true });
      else await discard(join(dir, name), reason, problems);
      if (entry) entry.snapshotBytes = null;
    }
    for (const entry of loaded.values()) {
      if (entry.snapshotBytes !== null && !snapshots.has(`${entry.key}.jpg`)) {
        problems.push(`${join(dir, `${entry.key}.jpg`)}: the snapshot of event ${entry.event.id} is missing`);
        entry.snapshotBytes = null;
      }
    }
    const sorted = [...loaded.values()].sort((a, b) => a.seq - b.seq);
    const store = new EventStore(dir, maxEntries, maxBytes, new Map(sorted.map((e) => [e.event.id, e])), (sorted.at(-1)?.seq ?? -1) + 1);
    await store.evict();
    return { store, problems };
  }

  /** The events, newest first. */
  list(): EventEntry<E>[] {
    return [...this.entries.values()].reverse().map((e) => ({ event: e.event, hasSnapshot: e.snapshotBytes !== null, bytes: entryBytes(e) }));
  }

  /** The event's snapshot (JPEG), or null when the store has none for it. */
  async snapshot(id: string): Promise<Buffer | null> {
    const entry = this.entries.get(id);
    if (!entry || entry.snapshotBytes === null) return null;
    const path = this.snapshotPath(entry.key);
    try {
      return await readFile(path);
    } catch (err) {
      // Evicted or replaced by a newer state between the look-up and the read.
      if (errnoOf(err) === 'ENOENT') return null;
      throw fileError('read', path, err);
    }
  }

  /**
   * Records an event's latest state, and its snapshot when given (otherwise the one it has,
   * if any, is kept), then evicts the oldest entries beyond the bounds. Rejects, leaving the
   * store as it was, when the event is not valid, the entry alone is over the byte bound, or a
   * file cannot be written (a full disk: the error names the file and has Node's code). Once
   * the files are in place the entry is recorded: a directory that cannot be synced or an old
   * entry that cannot be removed still rejects, naming its path.
   */
  record(event: E, snapshot?: Uint8Array): Promise<void> {
    const run = this.queue.then(() => this.write(event, snapshot));
    this.queue = run.catch(() => {});
    return run;
  }

  private async write(event: E, snapshot: Uint8Array | undefined): Promise<void> {
    const problem = eventProblem(event);
    if (problem) throw new TypeError(`event store: ${problem}`);
    if (snapshot !== undefined && !Buffer.from(snapshot.subarray(0, JPEG_START.length)).equals(JPEG_START)) {
      throw new TypeError(`event store: event ${event.id}: the snapshot is not a JPEG`);
    }
    const previous = this.entries.get(event.id);
    const key = keyOf(event.id);
    const snapshotBytes = snapshot !== undefined ? snapshot.length : (previous?.snapshotBytes ?? null);
    const json = JSON.stringify({ seq: this.nextSeq, snapshotBytes, event } satisfies EventFile<E>);
    const text = Buffer.from(json);
    // Held as a reload would find it, and apart from the caller's object, which may change after.
    const entry: Entry<E> = { ...(JSON.parse(json) as EventFile<E>), key, eventBytes: text.length };
    if (entryBytes(entry) > this.maxBytes) {
      throw new RangeError(`event store: event ${event.id} takes ${entryBytes(entry)} bytes with its snapshot, more than the store's ${this.maxBytes}`);
    }
    const snapshotTemp = join(this.dir, SNAPSHOT_TEMP);
    const eventTemp = join(this.dir, EVENT_TEMP);
    try {
      if (snapshot !== undefined) await writeSynced(snapshotTemp, snapshot, this.snapshotPath(key));
      await writeSynced(eventTemp, text, this.eventPath(key));
      if (snapshot !== undefined) await renameInto(snapshotTemp, this.snapshotPath(key));
      await renameInto(eventTemp, this.eventPath(key));
    } catch (err) {
      // The error to report is the write's: a temporary file left behind is removed on the next open.
      await rm(snapshotTemp, { force: true }).catch(() => {});
      await rm(eventTemp, { force: true }).catch(() => {});
      throw err;
    }
    this.entries.delete(event.id);
    this.entries.set(event.id, entry);
    this.nextSeq++;
    await syncDirectory(this.dir);
    await this.evict();
  }

  /** Removes the oldest entries until the store is within its bounds. */
  private async evict(): Promise<void> {
    let bytes = [...this.entries.values()].reduce((sum, e) => sum + entryBytes(e), 0);
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && bytes <= this.maxBytes) return;
      // The event file first: a crash after it leaves a snapshot without its event, which loading removes.
      await removeFile(this.eventPath(entry.key));
      this.entries.delete(id);
      bytes -= entryBytes(entry);
      // Whether or not the entry has one: a snapshot that a crash left unlisted goes too.
      await removeFile(this.snapshotPath(entry.key));
    }
  }

  private eventPath(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  private snapshotPath(key: string): string {
    return join(this.dir, `${key}.jpg`);
  }
}

const entryBytes = (e: Entry<BaseEvent>): number => e.eventBytes + (e.snapshotBytes ?? 0);

/** The entry of an event file, or null (the problem noted and the file removed) when it cannot be loaded. */
async function loadEntry<E extends BaseEvent>(path: string, key: string, maxBytes: number, problems: string[]): Promise<Entry<E> | null> {
  let text: string;
  try {
    const { size } = await stat(path);
    // A file no entry could grow to is not read into memory.
    if (size > maxBytes) {
      await discard(path, `${size} bytes, more than the store holds, so not an event file of it`, problems);
      return null;
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    await discard(path, `cannot be read (${(err as Error).message})`, problems);
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    await discard(path, `not valid JSON, cut short or damaged (${(err as Error).message})`, problems);
    return null;
  }
  const reason = eventFileProblem(parsed, key);
  if (reason) {
    await discard(path, reason, problems);
    return null;
  }
  // The store's own file, checked for what the store needs: the rest is trusted to be the E it was written as.
  return { ...(parsed as EventFile<E>), key, eventBytes: Buffer.byteLength(text) };
}

function eventFileProblem(parsed: unknown, key: string): string | null {
  if (typeof parsed !== 'object' || parsed === null) return 'not an event file (no JSON object)';
  const { seq, snapshotBytes, event } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return 'not an event file (no seq)';
  if (snapshotBytes !== null && !(Number.isSafeInteger(snapshotBytes) && (snapshotBytes as number) > 0)) return 'not an event file (bad snapshotBytes)';
  const problem = eventProblem(event);
  if (problem) return `not a valid event (${problem})`;
  if (keyOf((event as BaseEvent).id) !== key) return `the event file of another event (${(event as BaseEvent).id})`;
  return null;
}

/** Why the snapshot file at `path` does not belong to `entry`, or null when it does. */
async function snapshotProblem(path: string, entry: Entry<BaseEvent> | undefined): Promise<string | null> {
  if (!entry) return 'a snapshot without its event file';
  if (entry.snapshotBytes === null) return `a snapshot that the file of event ${entry.event.id} does not list`;
  try {
    const handle = await open(path, 'r');
    try {
      const start = Buffer.alloc(JPEG_START.length);
      await handle.read(start, 0, start.length, 0);
      const { size } = await handle.stat();
      if (size !== entry.snapshotBytes) return `not the snapshot of event ${entry.event.id}: ${size} bytes, its event file says ${entry.snapshotBytes}`;
      if (!start.equals(JPEG_START)) return `not the snapshot of event ${entry.event.id}: not a JPEG`;
      return null;
    } finally {
      await handle.close();
    }
  } catch (err) {
    return `the snapshot of event ${entry.event.id} cannot be read (${(err as Error).message})`;
  }
}

/** Removes a file that cannot be loaded and says so; a file that cannot be removed either is said to be left. */
async function discard(path: string, reason: string, problems: string[]): Promise<void> {
  try {
    await rm(path, { force: true });
    problems.push(`${path}: ${reason}; removed`);
  } catch (err) {
    problems.push(`${path}: ${reason}; left in place, it cannot be removed (${(err as Error).message})`);
  }
}

async function writeSynced(temp: string, bytes: Uint8Array, target: string): Promise<void> {
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw fileError('write', target, err);
  }
}

async function renameInto(temp: string, target: string): Promise<void> {
  try {
    await rename(temp, target);
  } catch (err) {
    throw fileError('write', target, err);
  }
}

async function removeFile(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (err) {
    throw fileError('remove', path, err);
  }
}

/** Makes the renames durable: without it a power cut may lose a rename the caller was told was done. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw fileError('sync', dir, err);
  }
}
