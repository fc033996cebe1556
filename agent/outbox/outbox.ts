import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ResultPayload } from '../pipeline/result.js';
import { OutboxFile } from './outbox-file.js';
import { encodeJsonRecord, encodeRecord, MAX_PAYLOAD_BYTES, parseLog, RecordType, toRanges, type DamagedSpan } from './outbox-log.js';
import { EntryQueue, type OutboxEntry } from './outbox-queue.js';
import { SeqHighWater } from './seq-high-water.js';

/**
 * What the outbox reports on: 'outbox' the log cannot be written; 'outboxSeq' the seq
 * high-water mark cannot be read or written; 'outboxLog' a log that could not be read was
 * kept aside (reported until the next start, since its results were not delivered).
 */
export type OutboxCondition = 'outbox' | 'outboxSeq' | 'outboxLog';

/** What an outbox holds: records numbered by seq, each with the ISO 8601 time it is about. */
export interface OutboxPayload {
  seq: number;
  ts: string;
}

export interface OutboxOptions {
  /** Folder of the log, e.g. <dataDir>/outbox. */
  dir: string;
  /** What the records are, in log lines and errors (default 'results'); the log is <dir>/<noun>.log. */
  noun?: string;
  /** The seq high-water mark, apart from the log's folder: <dataDir>/seq-high-water. */
  highWaterFile: string;
  maxRecords: number;
  maxAgeHours: number;
  /** At most one write (append + fsync) per this many milliseconds. */
  flushMilliseconds: number;
  log: Logger;
  /** Told a condition's reason when it begins, and null when it ends. */
  reportHealth?: (condition: OutboxCondition, reason: string | null) => void;
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
  /** Logs that could not be read and were kept aside (renamed) since start. */
  logsSetAside: number;
  /** Where the last of them was kept. */
  lastSetAside: string | null;
}

/** The log is compacted once it is this big and more than half of it is acknowledged results. */
const COMPACT_MIN_BYTES = 1 << 20;
const DROP_LOG_INTERVAL_MS = 60_000;

interface Waiting<P> {
  entry: OutboxEntry;
  payload: P;
  resolve(payload: P): void;
}

function captureTime(ts: unknown): number {
  const ms = typeof ts === 'string' ? Date.parse(ts) : NaN;
  // A result without a readable time is never too old: it is delivered, not dropped.
  return Number.isFinite(ms) ? ms : Infinity;
}

function entryOf(bytes: Buffer): OutboxEntry {
  const { seq, ts } = JSON.parse(bytes.toString('utf8')) as { seq: unknown; ts: unknown };
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new Error('a record without a seq');
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
 *   It never goes back: a high-water mark kept apart from the log (SeqHighWater) is above
 *   every seq handed out, and decides where seq goes on when the log is gone, cannot be
 *   read, or missed results published while it could not be written.
 * - A log that cannot be read (an I/O error, garbage where records should be) is renamed
 *   aside, never written over, and reported (log, health, stats); a new log is started.
 * - Bounds, a stated policy: we keep the newest. Beyond maxRecords the oldest results are
 *   dropped, as are results captured more than maxAgeHours ago; drops are counted and
 *   logged (at most once a minute).
 * - A log that cannot be written (disk full, read-only) degrades the outbox: one error in
 *   the log and a health report per condition, results are kept in memory (same bounds)
 *   and still delivered, and the whole log is rewritten once writing works again.
 */
export class Outbox<P extends OutboxPayload = ResultPayload> extends EventEmitter<{ recorded: [] }> {
  private readonly file: OutboxFile;
  private mark!: SeqHighWater;
  /** A write of the mark in flight: submits wait on this one promise, in the order they came. */
  private marking: Promise<void> | null = null;
  private markProblem: string | null = null;
  private markRetryAt = 0;
  /** A log that could not be read and is still in place: moved aside before the log is written. */
  private unreadable: string | null = null;
  private logsSetAside = 0;
  private lastSetAside: string | null = null;
  private readonly queue = new EntryQueue();
  private waiting: Waiting<P>[] = [];
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
  private readonly noun: string;

  private constructor(private readonly options: OutboxOptions) {
    super();
    this.noun = options.noun ?? 'results';
    this.file = new OutboxFile(options.dir, `${this.noun}.log`);
    this.maxAgeMs = options.maxAgeHours * 3_600_000;
    this.lingerMs = Math.max(options.flushMilliseconds, 1000);
  }

  /** Opens (or creates) the outbox in options.dir and recovers what a crash left there. */
  static async open<P extends OutboxPayload = ResultPayload>(options: OutboxOptions): Promise<Outbox<P>> {
    const outbox = new Outbox<P>(options);
    const { mark, problem } = await SeqHighWater.open(options.highWaterFile);
    outbox.mark = mark;
    if (problem) outbox.markFailed(problem, 'read');
    let bytes: Buffer | null;
    try {
      bytes = await outbox.file.read();
    } catch (err) {
      const error = err as NodeJS.ErrnoException;
      // No log there to keep aside: the outbox's folder is a file.
      if (error.code === 'ENOTDIR') {
        outbox.nextSeq = mark.state?.next ?? 0;
        outbox.failed(error, 'read', `seq goes on at ${outbox.nextSeq}${mark.state ? ' (the high-water mark)' : ''}; `);
        return outbox;
      }
      await outbox.startOver(`it could not be read (${error.message})`);
      return outbox;
    }
    const parsed = bytes && parseLog(bytes);
    if (bytes && parsed!.records.length === 0 && bytes.length > 0) {
      await outbox.startOver(`it holds no readable record in its ${bytes.length} bytes`);
      return outbox;
    }
    outbox.load(bytes, parsed);
    return outbox;
  }

  async submit(result: Omit<P, 'seq'>): Promise<P> {
    if (this.closed) throw new Error(`the outbox ${this.file.path} is closed`);
    // Rarely (once per SEQ_BLOCK results) the mark must be written before the next seq goes out.
    for (let pending = this.reserve(); pending; pending = this.reserve()) await pending;
    if (this.closed) throw new Error(`the outbox ${this.file.path} is closed`);
    const payload = { seq: this.nextSeq, ...result } as P;
    const bytes = Buffer.from(JSON.stringify(payload));
    if (bytes.length > MAX_PAYLOAD_BYTES) {
      throw new Error(`a record of ${bytes.length} bytes is over the outbox's ${MAX_PAYLOAD_BYTES}-byte limit (${this.file.path})`);
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
    const recorded = new Promise<P>((resolve) => this.waiting.push({ entry, payload, resolve }));
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
      logsSetAside: this.logsSetAside,
      lastSetAside: this.lastSetAside,
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
    await this.mark.idle();
  }

  /**
   * The log could not be read: it is renamed aside (never written over) and a new one started,
   * seq going on above the high-water mark. If it cannot be moved now, the outbox runs degraded
   * and moves it before it writes a log again.
   */
  private async startOver(why: string): Promise<void> {
    const mark = this.mark.state;
    this.nextSeq = mark?.next ?? 0;
    this.unreadable = why;
    this.dirty = true;
    try {
      await this.keepAside();
    } catch (err) {
      this.failed(err as NodeJS.ErrnoException, 'read', `${why}, and it cannot be moved aside; `);
      return;
    }
    this.schedule(Date.now());
  }

  private async keepAside(): Promise<void> {
    const why = this.unreadable!;
    const keptAs = await this.file.keepAside();
    this.unreadable = null;
    // Gone meanwhile (deleted by hand): there is nothing left to keep.
    if (keptAs === null) return;
    this.logsSetAside++;
    this.lastSetAside = keptAs;
    const mark = this.mark.state;
    const seq = mark
      ? `seq goes on at ${this.nextSeq}, above every seq handed out before (the high-water mark ${this.mark.file})`
      : `there is no seq high-water mark (${this.mark.file}), so seq starts again at ${this.nextSeq} and may repeat`;
    const damage = `was kept as ${keptAs}: ${why}; the ${this.noun} recorded in it were not delivered`;
    this.options.log.error({ file: this.file.path, keptAs, nextSeq: this.nextSeq, highWaterFile: this.mark.file }, `outbox: the log ${this.file.path} ${damage}; ${seq}; a new log is started`);
    const reason = `the outbox log ${this.file.path} ${damage}`;
    this.options.reportHealth?.('outboxLog', reason);
  }

  private load(bytes: Buffer | null, parsed: ReturnType<typeof parseLog> | null): void {
    const log = this.options.log;
    const mark = this.mark.state;
    if (!bytes || !parsed) {
      // No log: a first start, or the log (or its folder) was deleted. The mark says where seq goes on.
      this.nextSeq = mark?.next ?? 0;
      if (mark) log.warn({ file: this.file.path, nextSeq: this.nextSeq, highWaterFile: this.mark.file }, 'outbox: there is no log; seq goes on from the high-water mark');
      this.dirty = true;
      this.schedule(Date.now());
      return;
    }
    const { records, damaged } = parsed;
    const entries = new Map<number, OutboxEntry>();
    let removalRecords = 0;
    let checkpoint = false;
    for (const record of records) {
      try {
        if (record.type === RecordType.result) {
          const entry = entryOf(record.payload);
          entries.set(entry.seq, entry);
          this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
        } else if (record.type === RecordType.checkpoint) {
          const { nextSeq } = JSON.parse(record.payload.toString('utf8')) as { nextSeq: number };
          if (Number.isSafeInteger(nextSeq)) this.nextSeq = Math.max(this.nextSeq, nextSeq);
          checkpoint = true;
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
    // Every log begins with a checkpoint. Without it (an empty log, a damaged head) the log cannot
    // say where seq goes on; when results were published that it missed (it could not be written,
    // then a crash), it says too little. Either way the mark decides, and no seq is given again.
    const distrust = !checkpoint ? 'the log does not begin with its checkpoint (empty, or damaged at the start)' : mark?.unlogged ? `${this.noun} were published that the log does not hold (it could not be written)` : null;
    if (distrust && mark && mark.next > this.nextSeq) {
      log.warn({ file: this.file.path, logNextSeq: this.nextSeq, nextSeq: mark.next, highWaterFile: this.mark.file }, `outbox: ${distrust}; seq goes on from the high-water mark`);
      this.nextSeq = mark.next;
    }
    // Rewriting at start trims acknowledged results and cuts off a torn tail before appending;
    // after an unlogged stretch it also records where seq goes on, so the mark can say so no more.
    this.dirty = damaged.length > 0 || removalRecords > 0 || dropped > 0 || distrust !== null;
    if (this.dirty) this.schedule(Date.now());
    if (this.queue.size > 0) {
      log.info(
        { file: this.file.path, depth: this.queue.size, firstSeq: this.queue.first()!.seq, nextSeq: this.nextSeq },
        `outbox: ${this.noun} recorded before the restart will be delivered`,
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
      `outbox: dropped the oldest ${this.noun} (over outbox.maxRecords or older than outbox.maxAgeHours); the newest are kept`,
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
          if (this.unreadable) await this.keepAside();
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
    if (error) {
      this.failed(error);
      // Before results go out from memory, the mark says that the log does not hold them.
      const pending = this.reserve();
      if (pending) await pending;
    }
    for (const w of batch) this.queue.push(w.entry);
    if (error) this.publishWaiting();
    else if (this.failure) this.recovered();
    if (!error && rewrite && this.mark.state?.unlogged) void this.markWrite(() => this.mark.settle(this.nextSeq));
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
    if (this.failure?.code !== code) {
      this.options.log.error(
        { err, file: this.file.path, retryMs: this.lingerMs },
        `${reason}; ${consequence}${this.noun} are kept in memory (the newest ${this.options.maxRecords}) and published while the broker is up`,
      );
      this.options.reportHealth?.('outbox', reason);
    }
    this.failure = { code, reason };
    this.schedule(Date.now() + this.lingerMs);
  }

  /** Results submitted during a write that failed: into memory, in seq order after the failed batch. */
  private publishWaiting(): void {
    const waiting = this.waiting.splice(0);
    for (const w of waiting) this.queue.push(w.entry);
    for (const w of waiting) w.resolve(w.payload);
    if (waiting.length > 0) this.emit('recorded');
  }

  private recovered(): void {
    this.options.log.info({ file: this.file.path, depth: this.depth() }, `outbox: writing works again; ${this.noun} held in memory are recorded`);
    this.failure = null;
    this.options.reportHealth?.('outbox', null);
  }

  /**
   * The mark write nextSeq needs before it is handed out (null if none): the mark must be above
   * it, and say so if results go out unlogged. While the mark cannot be written, seqs go out
   * anyway (reported), and it is written again once per lingerMs until that works.
   */
  private reserve(): Promise<void> | null {
    if (this.marking) return this.marking;
    const seq = this.nextSeq;
    const unlogged = this.failure !== null;
    const retry = this.markProblem !== null;
    if (Date.now() < this.markRetryAt || (!retry && !this.mark.needs(seq, unlogged))) return null;
    return this.markWrite(() => this.mark.cover(seq, unlogged, retry));
  }

  private markWrite(write: () => Promise<void>): Promise<void> {
    const marking: Promise<void> = write()
      .then(
        () => this.markRecovered(),
        (err: NodeJS.ErrnoException) => this.markFailed(err, 'write'),
      )
      .finally(() => {
        if (this.marking === marking) this.marking = null;
      });
    this.marking = marking;
    return marking;
  }

  private markFailed(err: NodeJS.ErrnoException, action: 'read' | 'write'): void {
    this.markRetryAt = Date.now() + this.lingerMs;
    const problem = `${action} ${err.code ?? err.message}`;
    if (this.markProblem === problem) return;
    this.markProblem = problem;
    const reason = `cannot ${action} the seq high-water mark ${this.mark.file}: ${err.message}`;
    this.options.log.warn(
      { err, file: this.mark.file, retryMs: this.lingerMs },
      `${reason}; seq goes on from the outbox log, but should the log be lost as well, seqs could be given again`,
    );
    this.options.reportHealth?.('outboxSeq', reason);
  }

  private markRecovered(): void {
    this.markRetryAt = 0;
    if (this.markProblem === null) return;
    this.markProblem = null;
    this.options.log.info({ file: this.mark.file }, 'outbox: the seq high-water mark is written again');
    this.options.reportHealth?.('outboxSeq', null);
  }
}
