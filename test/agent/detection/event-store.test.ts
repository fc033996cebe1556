// The store of recent events on disk: bounds, updates, restarts, damaged files and full disks.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_EVENTS, EventStore, eventProblem, type StoredEvent } from '../../../agent/detection/event-store.js';
import { imagePath } from '../../support/paths.js';
import { itWhenPresent } from '../../support/required-part.js';
import { tmpfsUnavailable } from '../../support/tmpfs.js';

const dirs: string[] = [];
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'event-store-test-'));
  dirs.push(dir);
  return dir;
}

// The store's temporary files, by the names it writes them under.
const EVENT_TEMP = 'incoming-event.tmp';
const SNAPSHOT_TEMP = 'incoming-snapshot.tmp';

let clock = 1_700_000_000_000;
const event = (id: string, type: StoredEvent['type'] = 'new', fields: Record<string, unknown> = {}): StoredEvent => ({ id, type, time: clock++, ...fields });

/** A stand-in snapshot of `bytes` bytes: the store asks only that it start as a JPEG does. */
const jpeg = (bytes: number, fill = 0x55): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(bytes - 3, fill)]);

const ids = (store: EventStore): string[] => store.list().map((e) => e.event.id);
const files = (dir: string): string[] => readdirSync(dir).sort();
const diskBytes = (dir: string): number => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
/** Every file of the store with its bytes, to show that nothing changed. */
const contents = (dir: string): Record<string, string> => Object.fromEntries(files(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

async function open(dir: string, options = {}): Promise<EventStore> {
  const { store, problems } = await EventStore.open(dir, options);
  expect(problems).toEqual([]);
  return store;
}

describe('EventStore', () => {
  it('keeps events with their snapshots, newest first, in a directory it makes', async () => {
    const dir = join(tempDir(), 'data', 'events');
    const store = await open(dir);
    const cat = readFileSync(imagePath('cat_720p.jpg'));
    await store.record(event('a'), cat);
    await store.record(event('b'));
    await store.record(event('c', 'new', { label: 'person', zones: ['driveway'] }), jpeg(500));
    expect(ids(store)).toEqual(['c', 'b', 'a']);
    expect(store.list().map((e) => e.hasSnapshot)).toEqual([true, false, true]);
    expect(store.list()[0].event).toMatchObject({ id: 'c', type: 'new', label: 'person', zones: ['driveway'] });
    expect((await store.snapshot('a'))?.equals(cat)).toBe(true);
    expect(await store.snapshot('b')).toBeNull();
    expect(await store.snapshot('nope')).toBeNull();
    expect(store.list().reduce((sum, e) => sum + e.bytes, 0)).toBe(diskBytes(dir));
    expect(files(dir).every((f) => /^[0-9a-f]{32}\.(json|jpg)$/.test(f))).toBe(true);
  });

  it('bounds to 100 events and 20 MiB unless told otherwise', () => {
    expect(DEFAULT_MAX_EVENTS).toBe(100);
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(20 * 1024 * 1024);
  });

  it('keeps one entry per id: the latest state, the snapshot replaced when one is given and kept when not', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.record(event('car'), jpeg(100, 1));
    await store.record(event('dog'));
    await store.record(event('car', 'update', { score: 0.9 }));
    expect(ids(store)).toEqual(['car', 'dog']);
    expect(store.list()[0].event).toMatchObject({ type: 'update', score: 0.9 });
    expect((await store.snapshot('car'))?.equals(jpeg(100, 1))).toBe(true);
    await store.record(event('car', 'end'), jpeg(200, 2));
    expect((await store.snapshot('car'))?.equals(jpeg(200, 2))).toBe(true);
    await store.record(event('dog', 'update'), jpeg(50));
    expect(ids(store)).toEqual(['dog', 'car']);
    expect(files(dir)).toHaveLength(4);
    expect(store.list().reduce((sum, e) => sum + e.bytes, 0)).toBe(diskBytes(dir));
  });

  it('holds its own copy of an event: changing the object after recording changes nothing', async () => {
    const store = await open(tempDir());
    const e = event('x', 'new', { zones: ['a'] });
    await store.record(e);
    (e.zones as string[]).push('b');
    e.type = 'end';
    expect(store.list()[0].event).toMatchObject({ type: 'new', zones: ['a'] });
  });

  it('evicts the oldest entries beyond the count, files and all', async () => {
    const dir = tempDir();
    const store = await open(dir, { maxEntries: 3 });
    for (const id of ['1', '2', '3']) await store.record(event(id), jpeg(100));
    // Recorded again: no longer the oldest.
    await store.record(event('1', 'update'));
    await store.record(event('4'));
    expect(ids(store)).toEqual(['4', '1', '3']);
    await store.record(event('5'), jpeg(100));
    expect(ids(store)).toEqual(['5', '4', '1']);
    expect(await store.snapshot('2')).toBeNull();
    expect(files(dir).filter((f) => f.endsWith('.json'))).toHaveLength(3);
    expect(files(dir).filter((f) => f.endsWith('.jpg'))).toHaveLength(2);
  });

  it('evicts the oldest entries beyond the bytes, snapshots counted', async () => {
    const dir = tempDir();
    const store = await open(dir, { maxBytes: 10_000 });
    for (const id of ['a', 'b', 'c']) await store.record(event(id), jpeg(3000));
    expect(ids(store)).toEqual(['c', 'b', 'a']);
    await store.record(event('d'), jpeg(3000));
    expect(ids(store)).toEqual(['d', 'c', 'b']);
    // A larger snapshot for b: c and d are older now, and both must go for it.
    await store.record(event('b', 'update'), jpeg(9000));
    expect(ids(store)).toEqual(['b']);
    // Many small events without snapshots fill it just the same.
    for (let i = 0; i < 30; i++) await store.record(event(`small-${i}`));
    expect(ids(store)[0]).toBe('small-29');
    expect(ids(store)).not.toContain('b');
    expect(diskBytes(dir)).toBeLessThanOrEqual(10_000);
    expect(store.list().reduce((sum, e) => sum + e.bytes, 0)).toBe(diskBytes(dir));
  });

  it('refuses an entry larger than the whole store, and keeps what it had', async () => {
    const dir = tempDir();
    const store = await open(dir, { maxBytes: 5000 });
    await store.record(event('a'), jpeg(1000));
    const before = contents(dir);
    await expect(store.record(event('a', 'update'), jpeg(6000))).rejects.toThrow(/^event store: event a takes \d+ bytes with its snapshot, more than the store's 5000$/);
    await expect(store.record(event('huge'), jpeg(6000))).rejects.toThrow(RangeError);
    expect(ids(store)).toEqual(['a']);
    expect(contents(dir)).toEqual(before);
  });

  it('comes back as it was after a restart, and goes on from there', async () => {
    const dir = tempDir();
    const first = await open(dir, { maxEntries: 4 });
    await first.record(event('a'), jpeg(100, 1));
    await first.record(event('b'));
    await first.record(event('c'), jpeg(100, 3));
    await first.record(event('a', 'end'));
    const listed = first.list();
    const again = await open(dir, { maxEntries: 4 });
    expect(again.list()).toEqual(listed);
    expect((await again.snapshot('c'))?.equals(jpeg(100, 3))).toBe(true);
    await again.record(event('d'));
    await again.record(event('e'));
    expect(ids(again)).toEqual(['e', 'd', 'a', 'c']);
  });

  it('orders by recording, not by the events\' clock, which can go back on a Pi without an RTC', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.record({ id: 'late', type: 'new', time: 2_000_000_000_000 });
    await store.record({ id: 'after-ntp-step', type: 'new', time: 1_000 });
    expect(ids(store)).toEqual(['after-ntp-step', 'late']);
    expect(ids(await open(dir))).toEqual(['after-ntp-step', 'late']);
  });

  it('applies smaller bounds given at a restart', async () => {
    const dir = tempDir();
    const store = await open(dir);
    for (const id of ['a', 'b', 'c', 'd']) await store.record(event(id), jpeg(100));
    const smaller = await open(dir, { maxEntries: 2 });
    expect(ids(smaller)).toEqual(['d', 'c']);
    expect(files(dir)).toHaveLength(4);
  });

  it('takes any string as an id: slashes, dots, and long ones', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const odd = ['../../etc/passwd', '.', 'x'.repeat(1000), 'caméra/1700000000.123-abc'];
    for (const id of odd) await store.record(event(id), jpeg(10));
    expect(ids(await open(dir)).sort()).toEqual([...odd].sort());
    expect(files(dir)).toHaveLength(8);
  });

  it('refuses an event without an id, type or time, or a snapshot that is not a JPEG, and keeps what it had', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.record(event('a'));
    const before = contents(dir);
    const bad = [
      [{ type: 'new', time: 1 }, 'event store: an event needs an id, a non-empty string'],
      [{ id: '', type: 'new', time: 1 }, 'event store: an event needs an id, a non-empty string'],
      [{ id: 'x', type: 'started', time: 1 }, 'event store: event x: type must be one of new, update, end, got "started"'],
      [{ id: 'x', type: 'new', time: '2024-01-01' }, 'event store: event x: time must be a number (milliseconds since the Unix epoch), got "2024-01-01"'],
      [{ id: 'x', type: 'new' }, 'event store: event x: time must be a number (milliseconds since the Unix epoch), got undefined'],
      [['x'], 'event store: an event must be a JSON object'],
    ] as const;
    for (const [e, message] of bad) await expect(store.record(e as unknown as StoredEvent)).rejects.toThrow(message);
    await expect(store.record(event('x'), Buffer.from('\x89PNG\r\n'))).rejects.toThrow('event store: event x: the snapshot is not a JPEG');
    expect(ids(store)).toEqual(['a']);
    expect(contents(dir)).toEqual(before);
    expect(eventProblem({ id: 'ok', type: 'end', time: 0, more: [1] })).toBeNull();
  });

  it('writes through temporary files and leaves none behind', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const writes = [];
    for (let i = 0; i < 20; i++) writes.push(store.record(event(`e${i % 5}`, 'update'), i % 2 ? jpeg(100 + i) : undefined));
    await Promise.all(writes);
    expect(files(dir).filter((f) => !/^[0-9a-f]{32}\.(json|jpg)$/.test(f))).toEqual([]);
    expect(ids(store)).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    expect((await store.snapshot('e3'))?.length).toBe(113);
  });
});

describe('EventStore after a crash or damage', () => {
  /** A store of three events with snapshots, closed, and where each event's files are. */
  async function filled(dir: string): Promise<{ jsonOf: (id: string) => string; jpgOf: (id: string) => string }> {
    const store = await open(dir);
    for (const id of ['a', 'b', 'c']) await store.record(event(id, 'new', { label: `label-${id}` }), jpeg(300));
    const byId = new Map(files(dir).filter((f) => f.endsWith('.json')).map((f) => [JSON.parse(readFileSync(join(dir, f), 'utf8')).event.id, join(dir, f)]));
    const jsonOf = (id: string): string => byId.get(id)!;
    return { jsonOf, jpgOf: (id) => jsonOf(id).replace(/\.json$/, '.jpg') };
  }

  it('skips and removes an event file cut short or overwritten, says which and why, and loads the rest', async () => {
    const dir = tempDir();
    const { jsonOf, jpgOf } = await filled(dir);
    const cut = jsonOf('a');
    const garbage = jsonOf('b');
    truncateSync(cut, statSync(cut).size / 2);
    writeFileSync(garbage, '\0\0\0\0');
    const { store, problems } = await EventStore.open(dir);
    expect(problems).toHaveLength(2);
    for (const path of [cut, garbage]) {
      expect(problems.filter((p) => p.startsWith(`${path}: not valid JSON, cut short or damaged (`) && p.endsWith('); removed'))).toHaveLength(1);
    }
    expect(ids(store)).toEqual(['c']);
    expect(store.list()[0].event).toMatchObject({ label: 'label-c' });
    // Their snapshots went with them; nothing is reported twice.
    expect(files(dir)).toEqual([jsonOf('c'), jpgOf('c')].map((p) => p.slice(dir.length + 1)).sort());
    expect((await EventStore.open(dir)).problems).toEqual([]);
  });

  it('skips an event file that is JSON but not an event file, or the file of another event', async () => {
    const dir = tempDir();
    const { jsonOf } = await filled(dir);
    const wrongType = jsonOf('a');
    const moved = jsonOf('b');
    const parsed = JSON.parse(readFileSync(wrongType, 'utf8'));
    writeFileSync(wrongType, JSON.stringify({ ...parsed, event: { ...parsed.event, type: 'started' } }));
    writeFileSync(moved, readFileSync(jsonOf('c')));
    const { store, problems } = await EventStore.open(dir);
    expect(problems).toContain(`${wrongType}: not a valid event (event a: type must be one of new, update, end, got "started"); removed`);
    expect(problems).toContain(`${moved}: the event file of another event (c); removed`);
    expect(ids(store)).toEqual(['c']);
  });

  it('drops a snapshot that does not match its event file, and keeps the event', async () => {
    const dir = tempDir();
    const { jpgOf } = await filled(dir);
    truncateSync(jpgOf('a'), 100);
    writeFileSync(jpgOf('b'), Buffer.alloc(300));
    rmSync(jpgOf('c'));
    const { store, problems } = await EventStore.open(dir);
    expect(problems.sort()).toEqual([
      `${jpgOf('a')}: not the snapshot of event a: 100 bytes, its event file says 300; removed`,
      `${jpgOf('b')}: not the snapshot of event b: not a JPEG; removed`,
      `${jpgOf('c')}: the snapshot of event c is missing`,
    ].sort());
    expect(ids(store)).toEqual(['c', 'b', 'a']);
    expect(store.list().map((e) => e.hasSnapshot)).toEqual([false, false, false]);
    expect(await store.snapshot('a')).toBeNull();
    expect(store.list().reduce((sum, e) => sum + e.bytes, 0)).toBe(diskBytes(dir));
  });

  it('removes what a crash in the middle of a record leaves: temporary files quietly, a snapshot without its event file said', async () => {
    const dir = tempDir();
    await filled(dir);
    const before = contents(dir);
    writeFileSync(join(dir, EVENT_TEMP), '{"seq":3,"snapshotBytes":null,"ev');
    writeFileSync(join(dir, SNAPSHOT_TEMP), jpeg(10));
    const orphan = join(dir, `${'0'.repeat(32)}.jpg`);
    writeFileSync(orphan, jpeg(10));
    writeFileSync(join(dir, 'notes.txt'), 'not the store\'s');
    const { store, problems } = await EventStore.open(dir);
    expect(problems).toEqual([`${orphan}: a snapshot without its event file; removed`]);
    expect(ids(store)).toEqual(['c', 'b', 'a']);
    expect(contents(dir)).toEqual({ ...before, 'notes.txt': Buffer.from('not the store\'s').toString('base64') });
  });
});

describe('EventStore on a full disk', () => {
  it('rejects naming the file when the snapshot cannot be written, and keeps every entry as it was', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.record(event('a'), jpeg(100, 1));
    await store.record(event('b'));
    const before = contents(dir);
    const listed = store.list();
    symlinkSync('/dev/full', join(dir, SNAPSHOT_TEMP));
    const error = await store.record(event('a', 'update'), jpeg(100, 2)).then(() => null, (err: NodeJS.ErrnoException) => err);
    expect(error?.code).toBe('ENOSPC');
    expect(error?.message).toMatch(new RegExp(`^event store: cannot write ${dir}/[0-9a-f]{32}\\.jpg: ENOSPC: no space left on device`));
    expect(store.list()).toEqual(listed);
    expect(contents(dir)).toEqual(before);
    expect((await store.snapshot('a'))?.equals(jpeg(100, 1))).toBe(true);
    // The temporary file (here the link to /dev/full) is gone, and recording works again.
    await store.record(event('a', 'update'), jpeg(100, 2));
    expect((await store.snapshot('a'))?.equals(jpeg(100, 2))).toBe(true);
  });

  it('rejects naming the file when the event file cannot be written after its snapshot was, and keeps the old snapshot', async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.record(event('a'), jpeg(100, 1));
    const before = contents(dir);
    symlinkSync('/dev/full', join(dir, EVENT_TEMP));
    await expect(store.record(event('a', 'update'), jpeg(100, 2))).rejects.toThrow(new RegExp(`^event store: cannot write ${dir}/[0-9a-f]{32}\\.json: ENOSPC`));
    symlinkSync('/dev/full', join(dir, EVENT_TEMP));
    await expect(store.record(event('new-one'))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(contents(dir)).toEqual(before);
    expect(ids(await open(dir))).toEqual(['a']);
  });

  // Needs root with CAP_SYS_ADMIN (mount); the /dev/full tests above cover the same path without.
  itWhenPresent(tmpfsUnavailable)('fills a real filesystem: rejects with ENOSPC, keeps what it had, reopens cleanly', async () => {
    const mountPoint = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]);
    mounts.push(mountPoint);
    const dir = join(mountPoint, 'events');
    mkdirSync(dir);
    const store = await open(dir);
    await store.record(event('a'), jpeg(20_000, 1));
    await store.record(event('b'), jpeg(20_000, 2));
    const before = contents(dir);
    const error = await store.record(event('c'), jpeg(400_000)).then(() => null, (err: NodeJS.ErrnoException) => err);
    expect(error?.code).toBe('ENOSPC');
    expect(error?.message).toContain(`cannot write ${dir}/`);
    expect(contents(dir)).toEqual(before);
    expect(ids(store)).toEqual(['b', 'a']);
    const again = await open(dir);
    expect(ids(again)).toEqual(['b', 'a']);
    expect((await again.snapshot('a'))?.equals(jpeg(20_000, 1))).toBe(true);
  });
});
