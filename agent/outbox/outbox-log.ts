import { crc32 } from './crc32.js';

/**
 * The outbox's on-disk record format. A log is a sequence of records:
 *
 *   magic 0xE7 | type (1 byte) | payload length (u32 LE) | CRC-32 (u32 LE) | payload
 *
 * The CRC covers the type, the length and the payload, so a record torn by a power cut
 * (short, or with stale bytes where the tail should be) or a corrupted length is
 * detected, and parsing resynchronises on the next record that checks out.
 */

export const RecordType = {
  /** {"nextSeq": n}: the seq the next result gets; first record of every rewritten log. */
  checkpoint: 0x43,
  /** A result payload, the exact JSON bytes that are published. */
  result: 0x52,
  /** [[from, to], ...]: seq ranges that were acknowledged or dropped. */
  removed: 0x58,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

const MAGIC = 0xe7;
const HEADER_BYTES = 10;
/** Larger than any result (100 predictions with long labels are ~15 KB); bounds resync work. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
const types = new Set<number>(Object.values(RecordType));

export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new Error(`an outbox record of ${payload.length} bytes is over the ${MAX_PAYLOAD_BYTES}-byte limit`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out[0] = MAGIC;
  out[1] = type;
  out.writeUInt32LE(payload.length, 2);
  out.set(payload, HEADER_BYTES);
  const crc = crc32(payload, 0, payload.length, crc32(out, 1, 6));
  out.writeUInt32LE(crc, 6);
  return out;
}

export function encodeJsonRecord(type: RecordType, value: unknown): Buffer {
  return encodeRecord(type, Buffer.from(JSON.stringify(value)));
}

export interface LogRecord {
  type: RecordType;
  payload: Buffer;
  offset: number;
}

export interface DamagedSpan {
  offset: number;
  bytes: number;
}

/** Byte length of the valid record at `offset`, or 0 if there is none there. */
function recordAt(buf: Buffer, offset: number): number {
  if (offset + HEADER_BYTES > buf.length || buf[offset] !== MAGIC || !types.has(buf[offset + 1])) return 0;
  const length = buf.readUInt32LE(offset + 2);
  if (length > MAX_PAYLOAD_BYTES || offset + HEADER_BYTES + length > buf.length) return 0;
  const start = offset + HEADER_BYTES;
  const crc = crc32(buf, start, start + length, crc32(buf, offset + 1, offset + 6));
  return crc === buf.readUInt32LE(offset + 6) ? HEADER_BYTES + length : 0;
}

/** The valid records of a log in file order, and the spans of bytes that were not. */
export function parseLog(buf: Buffer): { records: LogRecord[]; damaged: DamagedSpan[] } {
  const records: LogRecord[] = [];
  const damaged: DamagedSpan[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const size = recordAt(buf, offset);
    if (size > 0) {
      records.push({ type: buf[offset + 1] as RecordType, payload: buf.subarray(offset + HEADER_BYTES, offset + size), offset });
      offset += size;
      continue;
    }
    let next = offset + 1;
    while (next < buf.length && !(buf[next] === MAGIC && recordAt(buf, next) > 0)) next++;
    damaged.push({ offset, bytes: next - offset });
    offset = next;
  }
  return { records, damaged };
}

/** Sorted seqs as inclusive ranges: [1, 2, 3, 7] -> [[1, 3], [7, 7]]. */
export function toRanges(seqs: number[]): [number, number][] {
  const sorted = [...seqs].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const seq of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && seq <= last[1] + 1) last[1] = Math.max(last[1], seq);
    else ranges.push([seq, seq]);
  }
  return ranges;
}
