/** A recorded result waiting for the broker's acknowledgement. */
export interface OutboxEntry {
  readonly seq: number;
  /** Capture time (the payload's ts) in ms, for the age limit. */
  readonly tsMs: number;
  /** The JSON that is recorded and published. */
  readonly bytes: Buffer;
}

/**
 * Entries in seq order. Acknowledgements arrive almost always in order, so removal
 * leaves a hole and the front is trimmed; lookups by seq are binary searches, so
 * replaying a backlog of ten thousand results stays linear.
 */
export class EntryQueue {
  private seqs: number[] = [];
  private items: (OutboxEntry | null)[] = [];
  private head = 0;
  private count = 0;
  private total = 0;

  get size(): number {
    return this.count;
  }

  /** Sum of the live entries' payload sizes. */
  get bytes(): number {
    return this.total;
  }

  push(entry: OutboxEntry): void {
    const last = this.seqs[this.seqs.length - 1];
    if (last !== undefined && entry.seq <= last) throw new Error(`outbox queue: seq ${entry.seq} after ${last}`);
    this.seqs.push(entry.seq);
    this.items.push(entry);
    this.count++;
    this.total += entry.bytes.length;
  }

  /** Removes the entry with this seq; null if there is none (already removed or unknown). */
  remove(seq: number): OutboxEntry | null {
    const i = this.indexOf(seq);
    const entry = i < this.seqs.length && this.seqs[i] === seq ? this.items[i] : null;
    if (!entry) return null;
    this.items[i] = null;
    this.count--;
    this.total -= entry.bytes.length;
    this.trim();
    return entry;
  }

  first(): OutboxEntry | null {
    return this.from(-Infinity);
  }

  /** The live entry with the lowest seq >= `seq`. */
  from(seq: number): OutboxEntry | null {
    for (let i = this.indexOf(seq); i < this.items.length; i++) {
      const entry = this.items[i];
      if (entry) return entry;
    }
    return null;
  }

  *[Symbol.iterator](): IterableIterator<OutboxEntry> {
    for (let i = this.head; i < this.items.length; i++) {
      const entry = this.items[i];
      if (entry) yield entry;
    }
  }

  private indexOf(seq: number): number {
    let lo = this.head;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private trim(): void {
    while (this.head < this.items.length && this.items[this.head] === null) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.seqs = this.seqs.slice(this.head);
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
