// The durable outbox on its own: seq across restarts and crashes, torn and corrupted logs,
// the bounds, group commit, compaction, and disks that cannot be written.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeJsonRecord, parseLog, RecordType } from '../../../agent/outbox/outbox-log.js';
import { Outbox, type OutboxCondition, type OutboxOptions } from '../../../agent/outbox/outbox.js';
import { crc32 } from '../../../agent/outbox/crc32.js';
import { decodeHighWater, encodeHighWaterSlot, HIGH_WATER_SLOT_BYTES } from '../../../agent/outbox/seq-high-water.js';
import { mulberry32 } from '../../support/rng.js';
import type { LogRecord } from '../../support/agent-context.js';
import { sampleResult } from '../../support/recorder.js';
import { tmpfsUnavailable } from '../../support/tmpfs.js';
import { itWhenPresent } from '../../support/required-part.js';

const dirs: string[] = [];
const open: Outbox[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-test-'));
  dirs.push(dir);
  return dir;
}

interface Opened {
  outbox: Outbox;
  logs: LogRecord[];
  /** Health reports about writing the log. */
  health: (string | null)[];
  /** Every health report, with its condition. */
  reports: { condition: OutboxCondition; reason: string | null }[];
}

/** Where the tests keep an outbox's seq high-water mark: beside its folder, as <dataDir>/seq-high-water is beside <dataDir>/outbox. */
function highWaterOf(dir: string): string {
  const file = join(dirname(dir), `${basename(dir)}.seq-high-water`);
  if (!dirs.includes(file)) dirs.push(file);
  return file;
}

async function openOutbox(dir: string, options: Partial<OutboxOptions> = {}): Promise<Opened> {
  const logs: LogRecord[] = [];
  const health: (string | null)[] = [];
  const reports: Opened['reports'] = [];
  const outbox = await Outbox.open({
    dir,
    highWaterFile: highWaterOf(dir),
    maxRecords: 10_000,
    maxAgeHours: 72,
    flushMilliseconds: 0,
    log: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogRecord) }),
    reportHealth: (condition, reason) => {
      reports.push({ condition, reason });
      if (condition === 'outbox') health.push(reason);
    },
    ...options,
  });
  open.push(outbox);
  return { outbox, logs, health, reports };
}

async function close(outbox: Outbox): Promise<void> {
  open.splice(open.indexOf(outbox), 1);
  await outbox.close();
}

/** Seqs of the outbox's recorded entries, in order. */
function seqs(outbox: Outbox): number[] {
  const out: number[] = [];
  for (let e = outbox.next(0); e; e = outbox.next(e.seq + 1)) out.push(e.seq);
  return out;
}

const logFile = (dir: string): string => join(dir, 'results.log');
const errors = (logs: LogRecord[]): LogRecord[] => logs.filter((r) => r.level >= 50);
const warnings = (logs: LogRecord[]): LogRecord[] => logs.filter((r) => r.level === 40);

/** Resolves when the outbox reports recovery (or, with recovered false, degradation). */
function healthChange(health: (string | null)[], recovered: boolean, timeoutMs = 10_000): Promise<void> {
  const matches = (h: string | null): boolean => (recovered ? h === null : h !== null);
  if (health.some(matches)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no health report (${recovered ? 'recovered' : 'degraded'}) within ${timeoutMs} ms`)), timeoutMs);
    const push = health.push.bind(health);
    health.push = (...items) => {
      const n = push(...items);
      if (items.some(matches)) {
        clearTimeout(timer);
        resolve();
      }
      return n;
    };
  });
}

describe('outbox: seq and durability', () => {
  it('numbers results from 0 and has each on disk when submit resolves', async () => {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir);
    const recorded = await Promise.all([0, 1, 2].map((i) => outbox.submit(sampleResult(i))));
    expect(recorded.map((r) => r.seq)).toEqual([0, 1, 2]);
    const { records, damaged } = parseLog(readFileSync(logFile(dir)));
    expect(damaged).toEqual([]);
    const onDisk = records.filter((r) => r.type === RecordType.result).map((r) => JSON.parse(r.payload.toString()));
    expect(onDisk).toEqual(recorded);
    expect(Object.keys(onDisk[0])[0]).toBe('seq');
    expect(outbox.depth()).toBe(3);
  });

  it('continues seq after a restart, whether results were acknowledged or not', async () => {
    const dir = tempDir();
    let { outbox } = await openOutbox(dir);
    for (let i = 0; i < 5; i++) await outbox.submit(sampleResult(i));
    for (let seq = 0; seq < 5; seq++) outbox.ack(seq);
    await close(outbox);
    ({ outbox } = await openOutbox(dir));
    expect(outbox.depth()).toBe(0);
    expect((await outbox.submit(sampleResult(5))).seq).toBe(5);
    await outbox.submit(sampleResult(6));
    outbox.ack(5);
    await close(outbox);
    ({ outbox } = await openOutbox(dir));
    expect(seqs(outbox)).toEqual([6]);
    expect((await outbox.submit(sampleResult(7))).seq).toBe(7);
  });

  it('after a crash (the files as kill -9 leaves them) holds every recorded result and continues seq', async () => {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir, { flushMilliseconds: 50 });
    for (let i = 0; i < 20; i++) {
      await outbox.submit(sampleResult(i));
      if (i < 12) outbox.ack(i);
    }
    // What is on disk now is what a kill -9 right after the last submit resolved leaves.
    const crashed = tempDir();
    cpSync(dir, crashed, { recursive: true });
    const restarted = await openOutbox(crashed);
    // Acknowledgements may still be waiting for their batch: those results come again (at least once).
    const recovered = seqs(restarted.outbox);
    expect(recovered.slice(-8)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect((await restarted.outbox.submit(sampleResult(20))).seq).toBe(20);
  });

  it('rejects a submit after close with the outbox path in the message', async () => {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir);
    await close(outbox);
    await expect(outbox.submit(sampleResult(0))).rejects.toThrow(/results\.log is closed/);
  });
});

describe('outbox: damaged logs', () => {
  async function logWith(results: number): Promise<{ dir: string; bytes: Buffer; recordStarts: number[] }> {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir);
    for (let i = 0; i < results; i++) await outbox.submit(sampleResult(i));
    await close(outbox);
    const bytes = readFileSync(logFile(dir));
    const recordStarts = parseLog(bytes).records.filter((r) => r.type === RecordType.result).map((r) => r.offset);
    return { dir, bytes, recordStarts };
  }

  it('recovers a log cut at any point inside its last record (power cut while appending)', async () => {
    const { bytes, recordStarts } = await logWith(4);
    const last = recordStarts[3];
    for (let cut = last + 1; cut < bytes.length; cut += 7) {
      const dir = tempDir();
      writeFileSync(logFile(dir), bytes.subarray(0, cut));
      const { outbox, logs } = await openOutbox(dir);
      expect(seqs(outbox)).toEqual([0, 1, 2]);
      // The torn result was never recorded, so never published: its seq is free again.
      expect((await outbox.submit(sampleResult(9))).seq).toBe(3);
      expect(warnings(logs).map((r) => r.msg).join()).toMatch(/damaged bytes .*torn/);
      await close(outbox);
      // The start-up rewrite cut the torn tail off: the next start is clean.
      const again = await openOutbox(dir);
      expect(seqs(again.outbox)).toEqual([0, 1, 2, 3]);
      expect(warnings(again.logs)).toEqual([]);
      await close(again.outbox);
    }
  });

  it('keeps every complete record for random cut points anywhere in the log', async () => {
    const { bytes, recordStarts } = await logWith(6);
    const ends = [...recordStarts.slice(1), bytes.length];
    for (let trial = 0; trial < 40; trial++) {
      const cut = Math.floor(Math.random() * bytes.length);
      const dir = tempDir();
      writeFileSync(logFile(dir), bytes.subarray(0, cut));
      const { outbox } = await openOutbox(dir);
      const complete = ends.filter((end) => end <= cut).length;
      expect(seqs(outbox), `cut at ${cut}`).toEqual(Array.from({ length: complete }, (_, i) => i));
      await close(outbox);
    }
  });

  it('skips a corrupted record in the middle, reports where, and keeps the ones after it', async () => {
    const { dir, bytes, recordStarts } = await logWith(5);
    const damagedAt = recordStarts[2];
    bytes[damagedAt + 30] ^= 0x40;
    writeFileSync(logFile(dir), bytes);
    const { outbox, logs } = await openOutbox(dir);
    expect(seqs(outbox)).toEqual([0, 1, 3, 4]);
    const warning = warnings(logs).find((r) => /damaged/.test(r.msg))!;
    expect(warning.file).toBe(logFile(dir));
    expect((warning.damaged as { offset: number }[])[0].offset).toBe(damagedAt);
    expect((await outbox.submit(sampleResult(5))).seq).toBe(5);
  });

  it('skips stale garbage after the last record (a torn write of a new batch)', async () => {
    const { dir, bytes } = await logWith(3);
    writeFileSync(logFile(dir), Buffer.concat([bytes, Buffer.from([0xe7, 0x52, 0xff, 0xff, 0, 0, 1, 2, 3])]));
    const { outbox, logs } = await openOutbox(dir);
    expect(seqs(outbox)).toEqual([0, 1, 2]);
    expect(warnings(logs)).toHaveLength(1);
  });

  it('removes a compaction that a crash left half-written', async () => {
    const { dir } = await logWith(3);
    writeFileSync(`${logFile(dir)}.tmp`, 'half a compaction');
    const { outbox } = await openOutbox(dir);
    expect(seqs(outbox)).toEqual([0, 1, 2]);
    expect(existsSync(`${logFile(dir)}.tmp`)).toBe(false);
  });

  it('detects a corrupted length through the CRC', () => {
    const record = encodeJsonRecord(RecordType.checkpoint, { nextSeq: 7 });
    expect(parseLog(record).records).toHaveLength(1);
    record.writeUInt32LE(record.readUInt32LE(2) - 1, 2);
    expect(parseLog(record).records).toHaveLength(0);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('outbox: an unreadable log never costs data or reuses seq', () => {
  /** An outbox folder whose outbox issued seqs 0 to count - 1 and was closed. */
  async function issued(count: number): Promise<string> {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir);
    for (let i = 0; i < count; i++) await outbox.submit(sampleResult(i));
    await close(outbox);
    return dir;
  }
  const keptLogs = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('results.log.damaged-')).sort();
  const resultSeqs = (file: string): number[] =>
    parseLog(readFileSync(file)).records.filter((r) => r.type === RecordType.result).map((r) => (JSON.parse(r.payload.toString()) as { seq: number }).seq);
  const setAsideReport = (logs: LogRecord[]): LogRecord | undefined => errors(logs).find((r) => /^outbox: the log .* was kept as /.test(r.msg));

  it('keeps a log that cannot be read (EIO) aside, carries seq on above every seq issued, reports it and keeps recording', async () => {
    const dir = await issued(10);
    rmSync(logFile(dir));
    // Reading /proc/self/mem from offset 0 fails with EIO, as a failing SD card does.
    symlinkSync('/proc/self/mem', logFile(dir));
    const { outbox, logs, reports } = await openOutbox(dir);
    const kept = keptLogs(dir);
    expect(kept).toHaveLength(1);
    // Moved, not copied or written over: it is the very file that could not be read.
    expect(readlinkSync(join(dir, kept[0]))).toBe('/proc/self/mem');
    const report = setAsideReport(logs)!;
    expect(report.msg).toMatch(/EIO/);
    expect(report.file).toBe(logFile(dir));
    expect(report.keptAs).toBe(join(dir, kept[0]));
    const damage = reports.filter((r) => r.condition === 'outboxLog');
    expect(damage).toHaveLength(1);
    expect(damage[0].reason).toContain(join(dir, kept[0]));
    expect(outbox.stats().logsSetAside).toBe(1);
    expect(outbox.stats().lastSetAside).toBe(join(dir, kept[0]));

    const next = await outbox.submit(sampleResult(10));
    expect(next.seq).toBeGreaterThanOrEqual(10);
    expect(outbox.stats().degraded).toBe(false);
    expect(lstatSync(logFile(dir)).isFile()).toBe(true);
    expect(resultSeqs(logFile(dir))).toEqual([next.seq]);
    await close(outbox);
    // The next start reads the new log: no second gap, nothing more set aside.
    const again = await openOutbox(dir);
    expect((await again.outbox.submit(sampleResult(11))).seq).toBe(next.seq + 1);
    expect(keptLogs(dir)).toEqual(kept);
    expect(setAsideReport(again.logs)).toBeUndefined();
  });

  it('keeps a log that is a folder (EISDIR) aside with what it holds', async () => {
    const dir = await issued(4);
    rmSync(logFile(dir));
    mkdirSync(logFile(dir));
    writeFileSync(join(logFile(dir), 'inside'), 'kept');
    const { outbox, logs } = await openOutbox(dir);
    const kept = keptLogs(dir);
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(dir, kept[0], 'inside'), 'utf8')).toBe('kept');
    expect(setAsideReport(logs)!.msg).toMatch(/EISDIR/);
    expect((await outbox.submit(sampleResult(4))).seq).toBeGreaterThanOrEqual(4);
    expect(outbox.stats().degraded).toBe(false);
  });

  it('keeps a log replaced by garbage aside byte for byte, and never overwrites one kept earlier', async () => {
    const dir = await issued(10);
    const random = mulberry32(5);
    const garbage = (): Buffer => Buffer.from(Array.from({ length: 3000 }, () => Math.floor(random() * 256)));
    const first = garbage();
    writeFileSync(logFile(dir), first);
    let { outbox, logs } = await openOutbox(dir);
    expect(setAsideReport(logs)!.msg).toMatch(/no readable record/);
    const seqAfterFirst = (await outbox.submit(sampleResult(10))).seq;
    expect(seqAfterFirst).toBeGreaterThanOrEqual(10);
    await close(outbox);

    const second = garbage();
    writeFileSync(logFile(dir), second);
    ({ outbox, logs } = await openOutbox(dir));
    const kept = keptLogs(dir);
    expect(kept).toHaveLength(2);
    expect(kept.map((f) => readFileSync(join(dir, f)))).toEqual([first, second]);
    expect((await outbox.submit(sampleResult(11))).seq).toBeGreaterThan(seqAfterFirst);
  });

  it('carries seq on above every seq issued when the log is deleted, emptied or loses its head, or the outbox folder is deleted', async () => {
    const dir = await issued(10);
    rmSync(logFile(dir));
    let { outbox } = await openOutbox(dir);
    let last = (await outbox.submit(sampleResult(10))).seq;
    expect(last).toBeGreaterThanOrEqual(10);
    await close(outbox);

    writeFileSync(logFile(dir), '');
    ({ outbox } = await openOutbox(dir));
    let next = (await outbox.submit(sampleResult(11))).seq;
    expect(next).toBeGreaterThan(last);
    last = next;
    outbox.ack(next);
    for (let i = 0; i < 3; i++) outbox.ack((await outbox.submit(sampleResult(12 + i))).seq);
    last += 3;
    await close(outbox);
    // Everything acknowledged, and the next start compacts: the checkpoint is all the log holds.
    ({ outbox } = await openOutbox(dir));
    await close(outbox);
    const bytes = readFileSync(logFile(dir));
    expect(parseLog(bytes).records.map((r) => r.type)).toEqual([RecordType.checkpoint]);
    bytes[12] ^= 0xff;
    writeFileSync(logFile(dir), bytes);
    ({ outbox } = await openOutbox(dir));
    next = (await outbox.submit(sampleResult(15))).seq;
    expect(next).toBeGreaterThan(last);
    await close(outbox);

    rmSync(dir, { recursive: true });
    ({ outbox } = await openOutbox(dir));
    expect((await outbox.submit(sampleResult(16))).seq).toBeGreaterThan(next);
  });

  it('does not give again, after a crash, a seq published from memory while the log could not be written', async () => {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir, { flushMilliseconds: 10 });
    await outbox.submit(sampleResult(0));
    await outbox.submit(sampleResult(1));
    const logBefore = readFileSync(logFile(dir));
    rmSync(logFile(dir));
    symlinkSync('/dev/full', logFile(dir));
    symlinkSync('/dev/full', `${logFile(dir)}.tmp`);
    for (let i = 2; i < 30; i++) await outbox.submit(sampleResult(i));
    expect(outbox.stats().degraded).toBe(true);
    // kill -9 now: the log holds seqs 0 and 1; 2 to 29 were handed out (and published) from memory.
    const crashed = tempDir();
    writeFileSync(logFile(crashed), logBefore);
    cpSync(highWaterOf(dir), highWaterOf(crashed));
    const restarted = await openOutbox(crashed);
    expect(seqs(restarted.outbox)).toEqual([0, 1]);
    expect((await restarted.outbox.submit(sampleResult(30))).seq).toBeGreaterThanOrEqual(30);
  });

  it('has the high-water mark on disk above a seq before that seq is handed out', async () => {
    const dir = tempDir();
    let { outbox } = await openOutbox(dir);
    const first = await outbox.submit(sampleResult(0));
    expect(decodeHighWater(readFileSync(highWaterOf(dir)))!.next).toBeGreaterThan(first.seq);
    await close(outbox);
    // A mark just above the log's next seq: the seq after it needs a new mark first.
    writeFileSync(highWaterOf(dir), Buffer.concat([encodeHighWaterSlot(1, { next: 3, unlogged: false }), Buffer.alloc(HIGH_WATER_SLOT_BYTES)]));
    ({ outbox } = await openOutbox(dir));
    for (let i = 1; i <= 4; i++) {
      const r = await outbox.submit(sampleResult(i));
      expect(r.seq).toBe(i);
      expect(decodeHighWater(readFileSync(highWaterOf(dir)))!.next, `mark after seq ${r.seq}`).toBeGreaterThan(r.seq);
    }
  });

  it('reads the high-water mark from the other slot when one was torn, and reports a mark that cannot be read', async () => {
    const older = encodeHighWaterSlot(1, { next: 1000, unlogged: false });
    const newer = encodeHighWaterSlot(2, { next: 2000, unlogged: true });
    expect(decodeHighWater(Buffer.concat([older, newer]))).toEqual({ next: 2000, unlogged: true });
    const torn = Buffer.from(newer);
    torn.fill(0, HIGH_WATER_SLOT_BYTES >> 1);
    expect(decodeHighWater(Buffer.concat([older, torn]))).toEqual({ next: 1000, unlogged: false });
    expect(decodeHighWater(Buffer.concat([Buffer.alloc(HIGH_WATER_SLOT_BYTES, 0x55), newer]))).toEqual({ next: 2000, unlogged: true });
    expect(decodeHighWater(Buffer.alloc(2 * HIGH_WATER_SLOT_BYTES, 0x55))).toBeNull();

    // A mark that is a folder: reported, and the log decides seq.
    const dir = await issued(3);
    rmSync(highWaterOf(dir));
    mkdirSync(highWaterOf(dir));
    const { outbox, logs, reports } = await openOutbox(dir);
    expect((await outbox.submit(sampleResult(3))).seq).toBe(3);
    expect(warnings(logs).some((r) => r.file === highWaterOf(dir))).toBe(true);
    expect(reports.some((r) => r.condition === 'outboxSeq' && r.reason !== null)).toBe(true);
  });
});

describe('outbox: bounds (we keep the newest)', () => {
  it('drops the oldest beyond maxRecords, counts and logs it once, and remembers across a restart', async () => {
    const dir = tempDir();
    const { outbox, logs } = await openOutbox(dir, { maxRecords: 5 });
    for (let i = 0; i < 8; i++) await outbox.submit(sampleResult(i));
    expect(seqs(outbox)).toEqual([3, 4, 5, 6, 7]);
    expect(outbox.stats().dropped).toBe(3);
    expect(warnings(logs).filter((r) => /dropped the oldest/.test(r.msg))).toHaveLength(1);
    await close(outbox);
    const again = await openOutbox(dir, { maxRecords: 5 });
    expect(seqs(again.outbox)).toEqual([3, 4, 5, 6, 7]);
    expect((await again.outbox.submit(sampleResult(8))).seq).toBe(8);
  });

  it('drops results captured more than maxAgeHours ago, at submit and at start', async () => {
    const dir = tempDir();
    const hour = 3_600_000;
    const { outbox } = await openOutbox(dir, { maxAgeHours: 1000 });
    await outbox.submit(sampleResult(0, new Date(Date.now() - 5 * hour)));
    await outbox.submit(sampleResult(1, new Date(Date.now() - 3 * hour)));
    await outbox.submit(sampleResult(2));
    await close(outbox);
    const restarted = await openOutbox(dir, { maxAgeHours: 4 });
    expect(seqs(restarted.outbox)).toEqual([1, 2]);
    expect(restarted.outbox.stats().dropped).toBe(1);
    await close(restarted.outbox);
    const { outbox: strict } = await openOutbox(dir, { maxAgeHours: 2 });
    expect(seqs(strict)).toEqual([2]);
    // At submit, the oldest results are checked: one recorded before the clock moved on is dropped.
    const { outbox: live } = await openOutbox(tempDir(), { maxAgeHours: 2 });
    await live.submit(sampleResult(0, new Date(Date.now() - 3 * hour)));
    expect(seqs(live)).toEqual([0]);
    await live.submit(sampleResult(1));
    expect(seqs(live)).toEqual([1]);
    expect(live.stats().dropped).toBe(1);
  });
});

describe('outbox: group commit and compaction', () => {
  it('writes a burst of results in one append', async () => {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir, { flushMilliseconds: 200 });
    await outbox.submit(sampleResult(0));
    const before = outbox.stats().writes;
    await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.submit(sampleResult(i + 1))));
    expect(outbox.stats().writes - before).toBe(1);
  });

  it('at 10 results/s writes at most once per flushMilliseconds, acknowledgements riding along', async () => {
    const measure = async (flushMilliseconds: number): Promise<number> => {
      const { outbox } = await openOutbox(tempDir(), { flushMilliseconds });
      await outbox.submit(sampleResult(0));
      outbox.ack(0);
      const before = outbox.stats().writes;
      const started = Date.now();
      const pending: Promise<unknown>[] = [];
      for (let i = 1; i <= 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        // Acknowledged as soon as recorded, as a broker on loopback would.
        pending.push(outbox.submit(sampleResult(i)).then((r) => outbox.ack(r.seq)));
      }
      await Promise.all(pending);
      const seconds = (Date.now() - started) / 1000;
      const writes = outbox.stats().writes - before;
      await close(outbox);
      return writes / seconds;
    };
    const batched = await measure(200);
    const unbatched = await measure(0);
    console.log(`outbox writes per second at 10 results/s: ${batched.toFixed(1)} with flushMilliseconds 200, ${unbatched.toFixed(1)} with 0`);
    expect(batched).toBeLessThanOrEqual(5.5);
    expect(unbatched).toBeGreaterThan(batched);
  });

  it('compacts the log once acknowledged results dominate, and seq survives compaction', async () => {
    const dir = tempDir();
    const { outbox } = await openOutbox(dir, { flushMilliseconds: 0 });
    const big = { ...sampleResult(0), source: 'x'.repeat(2000) };
    let peak = 0;
    for (let i = 0; i < 1200; i++) {
      const r = await outbox.submit(big);
      if (i % 3 !== 2) outbox.ack(r.seq);
      peak = Math.max(peak, statSync(logFile(dir)).size);
    }
    await close(outbox);
    expect(peak).toBeLessThan(1.5 * 2 ** 20);
    const again = await openOutbox(dir);
    expect(again.outbox.depth()).toBe(400);
    expect((await again.outbox.submit(sampleResult(0))).seq).toBe(1200);
  });
});

describe('outbox: a disk that cannot be written', () => {
  it('degrades when the outbox folder is a file, keeps results in memory, logs once, and recovers', async () => {
    const dataDir = tempDir();
    const dir = join(dataDir, 'outbox');
    writeFileSync(dir, 'not a folder');
    const { outbox, logs, health } = await openOutbox(dir, { flushMilliseconds: 10 });
    expect(outbox.stats().degraded).toBe(true);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.submit(sampleResult(i))));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seqs(outbox)).toHaveLength(20);
    expect(errors(logs)).toHaveLength(1);
    expect(errors(logs)[0].file).toBe(join(dir, 'results.log'));
    expect(health.filter((h) => h !== null)).toHaveLength(1);
    expect(outbox.stats().lastError).toMatch(/outbox/);
    rmSync(dir);
    await healthChange(health, true);
    expect(outbox.stats().degraded).toBe(false);
    const onDisk = parseLog(readFileSync(join(dir, 'results.log'))).records.filter((r) => r.type === RecordType.result);
    expect(onDisk).toHaveLength(20);
  });

  it('degrades on ENOSPC mid-run (log and compaction file on /dev/full), then records everything when space returns', async () => {
    const dir = tempDir();
    const { outbox, logs, health } = await openOutbox(dir, { flushMilliseconds: 10 });
    await outbox.submit(sampleResult(0));
    await outbox.submit(sampleResult(1));
    rmSync(logFile(dir));
    symlinkSync('/dev/full', logFile(dir));
    symlinkSync('/dev/full', `${logFile(dir)}.tmp`);
    for (let i = 2; i < 30; i++) await outbox.submit(sampleResult(i));
    expect(outbox.stats().degraded).toBe(true);
    expect(outbox.stats().lastError).toMatch(/ENOSPC/);
    expect(errors(logs)).toHaveLength(1);
    expect(health).toHaveLength(1);
    expect(seqs(outbox)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Delivered results leave memory as usual while degraded.
    for (let seq = 0; seq < 10; seq++) outbox.ack(seq);
    rmSync(logFile(dir));
    rmSync(`${logFile(dir)}.tmp`);
    await healthChange(health, true);
    await close(outbox);
    const again = await openOutbox(dir);
    expect(seqs(again.outbox)).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    expect((await again.outbox.submit(sampleResult(30))).seq).toBe(30);
  });


  // Needs root with CAP_SYS_ADMIN (mount); the ENOSPC test above covers the same path without.
  itWhenPresent(tmpfsUnavailable)('degrades on a data dir remounted read-only (EROFS) and recovers when it is writable again', async () => {
    const mountPoint = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
    try {
      const dir = join(mountPoint, 'outbox');
      mkdirSync(dir);
      const { outbox, logs, health } = await openOutbox(dir, { flushMilliseconds: 10 });
      await outbox.submit(sampleResult(0));
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      for (let i = 1; i < 10; i++) await outbox.submit(sampleResult(i));
      expect(outbox.stats().lastError).toMatch(/EROFS/);
      expect(errors(logs)).toHaveLength(1);
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
      await healthChange(health, true);
      await close(outbox);
      const again = await openOutbox(dir);
      expect(seqs(again.outbox)).toHaveLength(10);
      await close(again.outbox);
    } finally {
      execFileSync('umount', ['-l', mountPoint]);
    }
  });
});
