import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ResultPayload, ResultSink } from '../pipeline/result.js';
import { OutboxFile } from './outbox-file.js';
import { encodeJsonRecord, encodeRecord, MAX_PAYLOAD_BYTES, parseLog, RecordType, toRanges, type DamagedSpan } from './outbox-log.js';
import { EntryQueue, type OutboxEntry } from './outbox-queue.js';

export interface OutboxOptions {
  /** Folder of the log, e.g. <dataDir>/outbox. */
  dir: string;
  maxRecords: number;
  maxAgeHours: number;
  /** At most one write (append + fsync) per this many milliseconds. */
  flushMilliseconds: number;
  log: Logger;
  /** Told the reason when writing fails, and null when it works again. */
  reportHealth?: (reason: string | null) => void;
}

export interface OutboxStats {
  /** Results recorded (or held in memory) and not yet acknowledged. */
  depth: number;
  /** Results dropped by maxRecords or maxAgeHours since start. */
  dropped: number;
  /** Writes to the log (batched appends and rewrites) since start. */
  writes: number;
  writeErrors: number;
  lastError: string | null;
  /** True while the log cannot be written and results are kept in memory only. */
  degraded: boolean;
}

/** The log is compacted once it is this big and more than half of it is acknowledged results. */
const COMPACT_MIN_BYTES = 1 << 20;
const DROP_LOG_INTERVAL_MS = 60_000;

interface Waiting {
  entry: OutboxEntry;
  payload: ResultPayload;
  resolve(payload: ResultPayload): void;
}

function captureTime(ts: unknown): number {
  const ms = typeof ts === 'string' ? Date.parse(ts) : NaN;
  // A result without a readable time is never too old: it is delivered, not dropped.
  return Number.isFinite(ms) ? ms : Infinity;
}

function entryOf(bytes: Buffer): OutboxEntry {
  const { seq, ts } = JSON.parse(bytes.toString('utf8')) as { seq: unknown; ts: unknown };
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new Error('a result record without a seq');
  return { seq: seq as number, tsMs: captureTime(ts), bytes };
}

/**
 * The durable outbox: numbers results (seq), records each in <dir>/results.log before it
 * can be published, and forgets it when the broker acknowledges it.
 *
 * - Group commit: results and acknowledgements are written together, at most one append +
 *   fsync per flushMilliseconds; a lone acknowledgement waits up to a second for company.
 *   submit() resolves once its result is on disk.
 * - seq continues after a restart (kill -9 included) right after the last recorded result.
 * - Bounds, a stated policy: we keep the newest. Beyond maxRecords the oldest results are
 *   dropped, as are results captured more than maxAgeHours ago; drops are counted and
 *   logged (at most once a minute).
 * - A log that cannot be written (disk full, read-only) degrades the outbox: one error in
 *   the log and a health report per condition, results are kept in memory (same bounds)
 *   and still delivered, and the whole log is rewritten once writing works again.
 */
export class Outbox extends EventEmitter<{ recorded: [] }> implements ResultSink {
  private readonly file: OutboxFile;
  private readonly queue = new EntryQueue();
  private waiting: Waiting[] = [];
  private removals: number[] = [];
  private nextSeq = 0;
  /** The log must be rewritten whole: it is missing, damaged, or writing failed. */
  private dirty = false;
  private fileBytes = 0;
  private failure: { code: string; reason: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  private flushing: Promise<void> | null = null;
  private lastWriteAt = -Infinity;
  private closed = false;
  private droppedTotal = 0;
  private droppedSinceLog = 0;
  private lastDropLogAt = -Infinity;
  private writes = 0;
  private writeErrors = 0;
  private lastError: string | null = null;
  private readonly maxAgeMs: number;
  /** How long an acknowledgement or a retry after a failed write waits. */
  private readonly lingerMs: number;

  private constructor(private readonly options: OutboxOptions) {
    super();
    this.file = new OutboxFile(options.dir);
    this.maxAgeMs = options.maxAgeHours * 3_600_000;
    this.lingerMs = Math.max(options.flushMilliseconds, 1000);
  }

  /** Opens (or creates) the outbox in options.dir and recovers what a crash left there. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options);
    let bytes: Buffer | null;
    try {
      bytes = await outbox.file.read();
    } catch (err) {
      outbox.failed(err as NodeJS.ErrnoException, 'read', 'seq starts again at 0 and results recorded earlier are not delivered; ');
      return outbox;
    }
    outbox.load(bytes);
    return outbox;
  }

  async submit(result: Omit<ResultPayload, 'seq'>): Promise<ResultPayload> {
    if (this.closed) throw new Error(`the outbox ${this.file.path} is closed`);
    const payload = { seq: this.nextSeq, ...result } as ResultPayload;
    const bytes = Buffer.from(JSON.stringify(payload));
    if (bytes.length > MAX_PAYLOAD_BYTES) {
      throw new Error(`a result of ${bytes.length} bytes is over the outbox's ${MAX_PAYLOAD_BYTES}-byte record limit`);
    }
    this.nextSeq++;
    const entry: OutboxEntry = { seq: payload.seq, tsMs: captureTime(payload.ts), bytes };
    if (this.failure) {
      this.queue.push(entry);
      this.enforceLimits();
      this.dirty = true;
      this.emit('recorded');
      return payload;
    }
    const recorded = new Promise<ResultPayload>((resolve) => this.waiting.push({ entry, payload, resolve }));
    this.enforceLimits();
    this.schedule(this.lastWriteAt + this.options.flushMilliseconds);
    return recorded;
  }

  depth(): number {
    return this.queue.size + this.waiting.length;
  }

  /** The recorded result with the lowest seq >= `seq`, if any: what to publish next. */
  next(seq: number): OutboxEntry | null {
    return this.queue.from(seq);
  }

  /** The broker acknowledged this result: forget it (an unknown seq is ignored). */
  ack(seq: number): void {
    if (!this.queue.remove(seq)) return;
    this.removals.push(seq);
    this.schedule(Date.now() + this.lingerMs);
  }

  /** Drops results older than maxAgeHours; called before a backlog is replayed. */
  expire(): void {
    this.enforceLimits();
    if (this.removals.length > 0) this.schedule(Date.now() + this.lingerMs);
  }

  stats(): OutboxStats {
    return {
      depth: this.depth(),
      dropped: this.droppedTotal,
      writes: this.writes,
      writeErrors: this.writeErrors,
      lastError: this.lastError,
      degraded: this.failure !== null,
    };
  }

  /** Writes what is outstanding (results and acknowledgements) and stops; submit() then throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
  }

  private load(bytes: Buffer | null): void {
    const log = this.options.log;
    if (!bytes) {
      this.dirty = true;
      this.schedule(Date.now());
      return;
    }
    const { records, damaged } = parseLog(bytes);
    const entries = new Map<number, OutboxEntry>();
    let removalRecords = 0;
    for (const record of records) {
      try {
        if (record.type === RecordType.result) {
          const entry = entryOf(record.payload);
          entries.set(entry.seq, entry);
          this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
        } else if (record.type === RecordType.checkpoint) {
          const { nextSeq } = JSON.parse(record.payload.toString('utf8')) as { nextSeq: number };
          if (Number.isSafeInteger(nextSeq)) this.nextSeq = Math.max(this.nextSeq, nextSeq);
        } else {
          removalRecords++;
          for (const [from, to] of JSON.parse(record.payload.toString('utf8')) as [number, number][]) {
            if (to - from < entries.size) for (let seq = from; seq <= to; seq++) entries.delete(seq);
            else for (const seq of entries.keys()) if (seq >= from && seq <= to) entries.delete(seq);
          }
        }
      } catch (err) {
        // The CRC matched, so this is a writer bug rather than a torn write; skip it all the same.
        damaged.push({ offset: record.offset, bytes: record.payload.length });
        log.warn({ err, file: this.file.path, offset: record.offset }, 'outbox: an unreadable record was skipped');
      }
    }
    for (const seq of [...entries.keys()].sort((a, b) => a - b)) this.queue.push(entries.get(seq)!);
    this.fileBytes = bytes.length;
    if (damaged.length > 0) this.reportDamage(damaged);
    const dropped = this.enforceLimits();
    // Rewriting at start trims acknowledged results and cuts off a torn tail before appending.
    this.dirty = damaged.length > 0 || removalRecords > 0 || dropped > 0;
    if (this.dirty) this.schedule(Date.now());
    if (this.queue.size > 0) {
      log.info(
        { file: this.file.path, depth: this.queue.size, firstSeq: this.queue.first()!.seq, nextSeq: this.nextSeq },
        'outbox: results recorded before the restart will be delivered',
      );
    }
  }

  private reportDamage(damaged: DamagedSpan[]): void {
    const bytes = damaged.reduce((n, d) => n + d.bytes, 0);
    this.options.log.warn(
      { file: this.file.path, damaged, recovered: this.queue.size },
      `outbox: skipped ${bytes} damaged bytes in ${damaged.length} place(s) (a record torn by a power cut?); the other records are kept`,
    );
  }

  /** Applies maxAgeHours and maxRecords, oldest first; returns how many were dropped. */
  private enforceLimits(now = Date.now()): number {
    let dropped = 0;
    const oldest = now - this.maxAgeMs;
    for (let e = this.queue.first(); e && e.tsMs < oldest; e = this.queue.first()) {
      this.queue.remove(e.seq);
      this.removals.push(e.seq);
      dropped++;
    }
    while (this.queue.size + this.waiting.length > this.options.maxRecords) {
      const e = this.queue.first();
      if (e) {
        this.queue.remove(e.seq);
        this.removals.push(e.seq);
      } else {
        // Only when one batch holds more than maxRecords: the result is never recorded.
        const w = this.waiting.shift()!;
        w.resolve(w.payload);
      }
      dropped++;
    }
    if (dropped > 0) this.noteDropped(dropped, now);
    return dropped;
  }

  private noteDropped(count: number, now: number): void {
    this.droppedTotal += count;
    this.droppedSinceLog += count;
    if (now - this.lastDropLogAt < DROP_LOG_INTERVAL_MS) return;
    this.options.log.warn(
      { dropped: this.droppedSinceLog, droppedTotal: this.droppedTotal, maxRecords: this.options.maxRecords, maxAgeHours: this.options.maxAgeHours },
      'outbox: dropped the oldest results (over outbox.maxRecords or older than outbox.maxAgeHours); the newest are kept',
    );
    this.droppedSinceLog = 0;
    this.lastDropLogAt = now;
  }

  private schedule(due: number): void {
    if (this.closed || this.flushing || (this.timer && this.timerDue <= due)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDue = Infinity;
      void this.flush();
    }, Math.max(0, due - Date.now()));
    // Only a submitted result must keep the process alive until it is written.
    if (this.waiting.length === 0) this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    const batch = this.waiting.splice(0);
    const removals = this.removals.splice(0);
    const rewrite = this.dirty || this.fileBytes >= Math.max(COMPACT_MIN_BYTES, 2 * this.queue.bytes);
    if (batch.length === 0 && removals.length === 0 && !rewrite) return;
    this.dirty = false;
    this.lastWriteAt = Date.now();
    let error: NodeJS.ErrnoException | null = null;
    this.flushing = (async () => {
      try {
        if (rewrite) {
          // Every seq below nextSeq is in this write or was acknowledged or dropped.
          const parts = [encodeJsonRecord(RecordType.checkpoint, { nextSeq: this.nextSeq })];
          for (const e of this.queue) parts.push(encodeRecord(RecordType.result, e.bytes));
          for (const w of batch) parts.push(encodeRecord(RecordType.result, w.entry.bytes));
          const bytes = Buffer.concat(parts);
          await this.file.replace(bytes);
          this.fileBytes = bytes.length;
        } else {
          const parts = batch.map((w) => encodeRecord(RecordType.result, w.entry.bytes));
          if (removals.length > 0) parts.push(encodeJsonRecord(RecordType.removed, toRanges(removals)));
          const bytes = Buffer.concat(parts);
          await this.file.append(bytes);
          this.fileBytes += bytes.length;
        }
        this.writes++;
      } catch (err) {
        error = err as NodeJS.ErrnoException;
      }
    })();
    await this.flushing;
    this.flushing = null;
    for (const w of batch) this.queue.push(w.entry);
    if (error) this.failed(error);
    else if (this.failure) this.recovered();
    for (const w of batch) w.resolve(w.payload);
    if (batch.length > 0) this.emit('recorded');
    if (this.failure) this.schedule(this.lastWriteAt + this.lingerMs);
    else if (this.waiting.length > 0 || this.dirty) this.schedule(this.lastWriteAt + this.options.flushMilliseconds);
    else if (this.removals.length > 0) this.schedule(Date.now() + this.lingerMs);
  }

  private failed(err: NodeJS.ErrnoException, action: 'read' | 'write' = 'write', consequence = ''): void {
    this.writeErrors++;
    this.dirty = true;
    const code = err.code ?? 'EIO';
    const reason = `cannot ${action} the outbox ${this.file.path}: ${err.message}`;
    this.lastError = reason;
    const waiting = this.waiting.splice(0);
    for (const w of waiting) this.queue.push(w.entry);
    for (const w of waiting) w.resolve(w.payload);
    if (waiting.length > 0) this.emit('recorded');
    if (this.failure?.code !== code) {
      this.options.log.error(
        { err, file: this.file.path, retryMs: this.lingerMs },
        `${reason}; ${consequence}results are kept in memory (the newest ${this.options.maxRecords}) and published while the broker is up`,
      );
      this.options.reportHealth?.(reason);
    }
    this.failure = { code, reason };
    this.schedule(Date.now() + this.lingerMs);
  }

  private recovered(): void {
    this.options.log.info({ file: this.file.path, depth: this.depth() }, 'outbox: writing works again; results held in memory are recorded');
    this.failure = null;
    this.options.reportHealth?.(null);
  }
}
