// The zip archive that TFLite metadata appends after the flatbuffer to carry associated
// files (the label file). Only the central directory is parsed here, with every size
// and offset checked against the bytes; inflating is fflate's. A model's zip is
// untrusted input like the rest of the file, so an entry is read only if its declared
// size is within a cap, and inflating stops as soon as it produces more than declared:
// a zip bomb costs at most the cap, never the memory or minutes it asks for.

import { Inflate } from 'fflate';

export class ZipError extends Error {}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
/** Compressed bytes handed to the inflater at a time; output per step is at most ~1032x. */
const INFLATE_STEP = 4096;

const utf8 = new TextDecoder('utf-8');

export class Zip {
  private constructor(
    private readonly bytes: Uint8Array,
    /** Where the archive starts in the file: its offsets count from there. */
    private readonly base: number,
    /** Where its end record starts: no entry's data may reach past it. */
    private readonly end: number,
    readonly entries: readonly ZipEntry[],
  ) {}

  /**
   * The zip at the end of `bytes`, or null when there is none. The end record is
   * accepted only where its comment length ends it exactly at the end of the file, so
   * that the same 4 signature bytes inside the weights are not taken for it.
   */
  static find(bytes: Uint8Array): Zip | null {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
    for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
      if (view.getUint32(at, true) === EOCD && at + EOCD_SIZE + view.getUint16(at + 20, true) === bytes.length) {
        return Zip.open(bytes, view, at);
      }
    }
    return null;
  }

  private static open(bytes: Uint8Array, view: DataView, eocd: number): Zip {
    const count = view.getUint16(eocd + 10, true);
    const directorySize = view.getUint32(eocd + 12, true);
    const directoryOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      throw new ZipError('ZIP64 archives are not supported');
    }
    const directory = eocd - directorySize;
    const base = directory - directoryOffset;
    if (directory < 0 || base < 0) {
      throw new ZipError(`central directory (${directorySize} bytes at offset ${directoryOffset}) ` +
        'lies outside the file');
    }
    const entries: ZipEntry[] = [];
    let at = directory;
    for (let i = 0; i < count; i++) {
      if (at + CENTRAL_SIZE > eocd || view.getUint32(at, true) !== CENTRAL) {
        throw new ZipError(`central directory entry ${i} is missing or damaged`);
      }
      const nameLength = view.getUint16(at + 28, true);
      const next = at + CENTRAL_SIZE + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
      if (next > eocd) throw new ZipError(`central directory entry ${i} runs past the directory`);
      entries.push({
        name: utf8.decode(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength)),
        flags: view.getUint16(at + 8, true),
        method: view.getUint16(at + 10, true),
        compressedSize: view.getUint32(at + 20, true),
        size: view.getUint32(at + 24, true),
        localHeader: view.getUint32(at + 42, true),
      });
      at = next;
    }
    return new Zip(bytes, base, eocd, entries);
  }

  /** The entry's contents, if it declares at most `maxBytes` and holds what it declares. */
  read(entry: ZipEntry, maxBytes: number): Uint8Array {
    if (entry.size > maxBytes) {
      throw new ZipError(`'${entry.name}' declares ${entry.size} bytes, more than the ` +
        `${maxBytes} allowed`);
    }
    if (entry.flags & 1) throw new ZipError(`'${entry.name}' is encrypted`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const local = this.base + entry.localHeader;
    if (local + LOCAL_SIZE > this.end || view.getUint32(local, true) !== LOCAL) {
      throw new ZipError(`'${entry.name}': local header at byte ${local} is missing or damaged`);
    }
    const start = local + LOCAL_SIZE + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + entry.compressedSize > this.end) {
      throw new ZipError(`'${entry.name}': ${entry.compressedSize} bytes of data at byte ${start} ` +
        'run past the archive');
    }
    const data = this.bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) {
        throw new ZipError(`'${entry.name}' is stored but its sizes differ (${entry.compressedSize} ` +
          `and ${entry.size})`);
      }
      return data;
    }
    if (entry.method === 8) return inflateExactly(data, entry);
    throw new ZipError(`'${entry.name}' uses compression method ${entry.method} (only stored and deflate are supported)`);
  }
}

function inflateExactly(data: Uint8Array, entry: ZipEntry): Uint8Array {
  const out = new Uint8Array(entry.size);
  let length = 0;
  const inflater = new Inflate((chunk) => {
    if (length + chunk.length > out.length) {
      throw new ZipError(`'${entry.name}' inflates to more than the ${entry.size} bytes it declares`);
    }
    out.set(chunk, length);
    length += chunk.length;
  });
  try {
    // The last push says final, which makes a stream that ends too early an error.
    let at = 0;
    do {
      inflater.push(data.subarray(at, at + INFLATE_STEP), at + INFLATE_STEP >= data.length);
      at += INFLATE_STEP;
    } while (at < data.length);
  } catch (error) {
    if (error instanceof ZipError) throw error;
    throw new ZipError(`'${entry.name}' is not valid deflate data (${(error as Error).message})`);
  }
  if (length !== entry.size) {
    throw new ZipError(`'${entry.name}' inflates to ${length} bytes, not the ${entry.size} it declares`);
  }
  return out;
}
