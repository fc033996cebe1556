import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from './crc32.js';

/** Where seq may go on: every seq handed out so far is below `next`. */
export interface HighWater {
  next: number;
  /** Seqs may have been handed out (and published) that the outbox log does not hold: it could not be written. */
  unlogged: boolean;
}

/**
 * How far ahead of the seq being handed out the mark is set: one write per this many results,
 * and the most seq can jump when the mark, not the log, decides where it goes on.
 */
export const SEQ_BLOCK = 1000;

/** magic 0xE7 'H' | flags (bit 0: unlogged) | 0 | generation (u32 LE) | next (u64 LE) | CRC-32 of the 16 bytes before (u32 LE) */
export const HIGH_WATER_SLOT_BYTES = 20;
const MAGIC = [0xe7, 0x48];
const UNLOGGED = 1;

export function encodeHighWaterSlot(generation: number, mark: HighWater): Buffer {
  const slot = Buffer.alloc(HIGH_WATER_SLOT_BYTES);
  slot[0] = MAGIC[0];
  slot[1] = MAGIC[1];
  slot[2] = mark.unlogged ? UNLOGGED : 0;
  slot.writeUInt32LE(generation >>> 0, 4);
  slot.writeBigUInt64LE(BigInt(mark.next), 8);
  slot.writeUInt32LE(crc32(slot, 0, 16), 16);
  return slot;
}

interface Slot {
  index: number;
  generation: number;
  mark: HighWater;
}

function decodeSlot(bytes: Buffer, index: number): Slot | null {
  const offset = index * HIGH_WATER_SLOT_BYTES;
  if (bytes.length < offset + HIGH_WATER_SLOT_BYTES) return null;
  const slot = bytes.subarray(offset, offset + HIGH_WATER_SLOT_BYTES);
  if (slot[0] !== MAGIC[0] || slot[1] !== MAGIC[1] || crc32(slot, 0, 16) !== slot.readUInt32LE(16)) return null;
  const next = Number(slot.readBigUInt64LE(8));
  if (!Number.isSafeInteger(next)) return null;
  return { index, generation: slot.readUInt32LE(4), mark: { next, unlogged: (slot[2] & UNLOGGED) !== 0 } };
}

function newestSlot(bytes: Buffer): Slot | null {
  const slots = [decodeSlot(bytes, 0), decodeSlot(bytes, 1)].filter((s) => s !== null);
  return slots.sort((a, b) => b.generation - a.generation)[0] ?? null;
}

/** The mark a file holds (the newer of its two slots that checks out), or null if neither does. */
export function decodeHighWater(bytes: Buffer): HighWater | null {
  return newestSlot(bytes)?.mark ?? null;
}

/**
 * The seq high-water mark, a small file kept apart from the outbox log (<dataDir>/seq-high-water).
 * The outbox writes a mark above a seq, durably, before it hands that seq out, SEQ_BLOCK ahead so
 * that this is one write per SEQ_BLOCK results: the mark is then above every seq ever handed
 * out, whatever became of the log, a power cut included.
 *
 * Two fixed slots, written in place in turn, each with its own CRC: a write torn by a power cut
 * spoils only the slot being written, and the other still holds the mark before it, which was
 * above every seq handed out until the new one was on disk. Writing in place takes no new disk
 * blocks, so a full disk does not stop it.
 */
export class SeqHighWater {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private current: HighWater | null,
    private generation: number,
    /** The slot holding the current mark: the next write goes to the other one. */
    private slot: number,
    /** The file holds two slots to write in place; otherwise it is made anew. */
    private whole: boolean,
  ) {}

  /** Reads the mark; a file that cannot be read or holds no valid slot gives `problem` (and no mark). */
  static async open(file: string): Promise<{ mark: SeqHighWater; problem: NodeJS.ErrnoException | null }> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const problem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : (err as NodeJS.ErrnoException);
      return { mark: new SeqHighWater(file, null, 0, 1, false), problem };
    }
    const slot = newestSlot(bytes);
    const whole = bytes.length === 2 * HIGH_WATER_SLOT_BYTES;
    if (!slot) {
      const problem = Object.assign(new Error(`it holds no valid mark (${bytes.length} bytes)`), { code: 'EBADMSG' });
      return { mark: new SeqHighWater(file, null, 0, 1, false), problem };
    }
    return { mark: new SeqHighWater(file, slot.mark, slot.generation, slot.index, whole), problem: null };
  }

  /** The mark on disk, or null if there is none. */
  get state(): HighWater | null {
    return this.current;
  }

  /** True when handing out `seq` (logged, or with `unlogged`, not) first needs a new mark. */
  needs(seq: number, unlogged: boolean): boolean {
    const c = this.current;
    return c === null || seq >= c.next || (unlogged && !c.unlogged);
  }

  /**
   * Makes a mark durable above `seq` (SEQ_BLOCK ahead, or the present one if it is above already),
   * saying whether seqs go out unlogged. Nothing is written when the mark on disk does already,
   * unless `rewrite` (to learn whether writing works again).
   */
  cover(seq: number, unlogged: boolean, rewrite = false): Promise<void> {
    return this.enqueue(() => {
      if (!rewrite && !this.needs(seq, unlogged)) return null;
      const c = this.current;
      return { next: c && seq < c.next ? c.next : seq + SEQ_BLOCK, unlogged: unlogged || (c?.unlogged ?? false) };
    });
  }

  /** The log holds every seq below `next` again: the mark stops saying that seqs went out unlogged. */
  settle(next: number): Promise<void> {
    return this.enqueue(() => (this.current?.unlogged ? { next: Math.max(this.current.next, next), unlogged: false } : null));
  }

  /** Resolves once the writes asked for so far are done. */
  idle(): Promise<void> {
    return this.queue.then(() => {}, () => {});
  }

  /** Writes run one at a time; `decide` sees the mark as the writes before it left it. */
  private enqueue(decide: () => HighWater | null): Promise<void> {
    const run = this.queue.then(
      () => this.write(decide()),
      () => this.write(decide()),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  private async write(mark: HighWater | null): Promise<void> {
    if (!mark) return;
    const generation = this.generation + 1;
    const index = 1 - this.slot;
    const slot = encodeHighWaterSlot(generation, mark);
    if (this.whole) {
      const handle = await open(this.file, 'r+');
      try {
        await handle.write(slot, 0, slot.length, index * HIGH_WATER_SLOT_BYTES);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } else {
      const empty = Buffer.alloc(HIGH_WATER_SLOT_BYTES);
      await this.create(index === 0 ? Buffer.concat([slot, empty]) : Buffer.concat([empty, slot]));
      this.whole = true;
    }
    this.generation = generation;
    this.slot = index;
    this.current = mark;
  }

  /** A new file: written under another name, synced, renamed into place, and the directory synced. */
  private async create(bytes: Buffer): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
    const dir = await open(dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
