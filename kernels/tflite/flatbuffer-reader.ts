// Bounds-checked FlatBuffers access over the flatbuffers runtime's ByteBuffer.
//
// flatc's generated accessors trust the bytes: a bad offset reads garbage (or
// `undefined`, silently turned into 0), a bad vector length makes a loop run for 4
// billion steps. Here every position is checked before it is read, every vector length
// is checked against the bytes that remain before anything is allocated for it, and
// every failure is a ModelError that says where in the model it happened.
//
// FlatBuffers lets many references point at one table, so a small file can describe a
// huge object graph (a 500 kB file whose 130,000 tensors all share one table holding a
// 100,000-entry scale vector). Offsets to children are unsigned and point forward, so
// there are no cycles, but the sharing alone could exhaust memory. Every decoded item is
// therefore charged to a budget proportional to the file size, which no honest file
// comes near: decoding an unshared structure costs at most one unit per byte it occupies.

import { ByteBuffer } from 'flatbuffers';
import { ModelError } from './errors.js';
import type { Field } from './schema.js';

/** Budget units: roughly 8 bytes of JavaScript heap each. */
const TABLE_COST = 8;
/** Units for each Tensor or Operator object built from a table, beyond the table. */
export const OBJECT_COST = 16;
const BUDGET_PER_BYTE = 2;
const BUDGET_BASE = 65_536;

const decoder = new TextDecoder('utf-8');

export class FlatReader {
  readonly bb: ByteBuffer;
  readonly size: number;
  private budget: number;

  constructor(readonly bytes: Uint8Array, readonly file: string) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
    this.budget = BUDGET_BASE + BUDGET_PER_BYTE * bytes.length;
  }

  fail(where: string, what: string): never {
    throw new ModelError(this.file, `${where}: ${what}`);
  }

  /**
   * A reference beyond the last byte. A file cut short (an interrupted download or copy) fails
   * here and nowhere else, so the message says so; a damaged offset can fail here too.
   */
  pastEnd(where: string, what: string): never {
    this.fail(where, `${what}: the file is truncated or damaged`);
  }

  charge(units: number, where: string): void {
    this.budget -= units;
    if (this.budget < 0) {
      this.fail(where, 'the tables reference each other far more often than a file of ' +
        `${this.size} bytes can hold (shared or overlapping tables): the file is corrupt`);
    }
  }

  /** The root table, whose offset is the file's first 4 bytes. */
  root(where: string): Table {
    if (this.size < 8) this.fail(where, `${this.size} bytes is too short for a flatbuffer`);
    return this.tableAt(this.bb.readUint32(0), where);
  }

  /** The position a uoffset stored at `at` points to, with room for `need` bytes there. */
  follow(at: number, need: number, where: string): number {
    const target = at + this.bb.readUint32(at);
    if (target + need > this.size) {
      this.pastEnd(where, `offset at byte ${at} points to byte ${target}, past the end of the ` +
        `file (${this.size} bytes)`);
    }
    return target;
  }

  tableAt(pos: number, where: string): Table {
    const { bb, size } = this;
    if (pos < 4 || pos + 4 > size) this.pastEnd(where, `table at byte ${pos} lies outside the file (${size} bytes)`);
    const vtable = pos - bb.readInt32(pos);
    if (vtable < 0 || vtable + 4 > size) {
      this.pastEnd(where, `table at byte ${pos} has its field table at byte ${vtable}, outside the file`);
    }
    const vtableSize = bb.readUint16(vtable);
    const tableSize = bb.readUint16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > size) {
      this.pastEnd(where, `table at byte ${pos} has a field table of ${vtableSize} bytes at byte ` +
        `${vtable}, which is malformed or runs past the end of the file`);
    }
    if (tableSize < 4 || pos + tableSize > size) {
      this.pastEnd(where, `table at byte ${pos} claims ${tableSize} bytes, which is malformed or ` +
        'runs past the end of the file');
    }
    this.charge(TABLE_COST, where);
    return new Table(this, pos, vtable, vtableSize, tableSize, where);
  }

  /** A UTF-8 string (length-prefixed) at `pos`; invalid bytes become U+FFFD. */
  stringAt(pos: number, where: string): string {
    const length = this.bb.readUint32(pos);
    const start = pos + 4;
    if (length > this.size - start) {
      this.pastEnd(where, `string of ${length} bytes at byte ${pos} runs past the end of the file ` +
        `(${this.size - start} bytes left)`);
    }
    // Bytes that are not UTF-8 decode to U+FFFD, two bytes of heap each.
    this.charge(Math.ceil(length / 4), where);
    return decoder.decode(this.bytes.subarray(start, start + length));
  }
}

interface VectorSpan {
  /** Byte position of element 0. */
  start: number;
  length: number;
}

/** A vector of tables, opened one element at a time. */
export class TableVector {
  constructor(
    private readonly reader: FlatReader,
    private readonly span: VectorSpan,
    private readonly where: string,
  ) {}

  get length(): number {
    return this.span.length;
  }

  at(index: number, where: string): Table {
    const slot = this.span.start + 4 * index;
    const pos = this.reader.follow(slot, 4, `${where} (entry ${index} of ${this.where})`);
    return this.reader.tableAt(pos, where);
  }
}

export class Table {
  constructor(
    readonly reader: FlatReader,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    private readonly tableSize: number,
    /** Where this table is in the model, for messages: "subgraph 0 tensor 12 'conv/w'". */
    readonly where: string,
  ) {}

  fail(field: Field, what: string): never {
    this.reader.fail(`${this.where}: ${field.name}`, what);
  }

  pastEnd(field: Field, what: string): never {
    this.reader.pastEnd(`${this.where}: ${field.name}`, what);
  }

  /** The same table, described differently in messages (once its name is known). */
  named(where: string): Table {
    return new Table(this.reader, this.pos, this.vtable, this.vtableSize, this.tableSize, where);
  }

  /** Byte position of the field's value, or 0 when the field is absent (the default). */
  private slot(field: Field, width: number): number {
    const entry = 4 + 2 * field.id;
    if (entry + 2 > this.vtableSize) return 0;
    const offset = this.reader.bb.readUint16(this.vtable + entry);
    if (offset === 0) return 0;
    if (offset < 4 || offset + width > this.tableSize) {
      this.fail(field, `stored at offset ${offset}, outside its table of ${this.tableSize} bytes ` +
        `at byte ${this.pos}`);
    }
    return this.pos + offset;
  }

  has(field: Field): boolean {
    return this.slot(field, 1) !== 0;
  }

  bool(field: Field, fallback = false): boolean {
    const at = this.slot(field, 1);
    return at ? this.reader.bb.readUint8(at) !== 0 : fallback;
  }

  int8(field: Field, fallback = 0): number {
    const at = this.slot(field, 1);
    return at ? this.reader.bb.readInt8(at) : fallback;
  }

  uint8(field: Field, fallback = 0): number {
    const at = this.slot(field, 1);
    return at ? this.reader.bb.readUint8(at) : fallback;
  }

  int32(field: Field, fallback = 0): number {
    const at = this.slot(field, 4);
    return at ? this.reader.bb.readInt32(at) : fallback;
  }

  uint32(field: Field, fallback = 0): number {
    const at = this.slot(field, 4);
    return at ? this.reader.bb.readUint32(at) : fallback;
  }

  float32(field: Field, fallback = 0): number {
    const at = this.slot(field, 4);
    return at ? this.reader.bb.readFloat32(at) : fallback;
  }

  /** A ulong that must fit a JavaScript number exactly (offsets and sizes in the file). */
  uint64(field: Field, fallback = 0): number {
    const at = this.slot(field, 8);
    if (!at) return fallback;
    const low = this.reader.bb.readUint32(at);
    const high = this.reader.bb.readUint32(at + 4);
    if (high > 0x1f_ffff) this.fail(field, 'value exceeds 2^53');
    return high * 2 ** 32 + low;
  }

  string(field: Field): string | null {
    const at = this.slot(field, 4);
    if (!at) return null;
    const where = `${this.where}: ${field.name}`;
    return this.reader.stringAt(this.reader.follow(at, 4, where), where);
  }

  table(field: Field, where = `${this.where}: ${field.name}`): Table | null {
    const at = this.slot(field, 4);
    if (!at) return null;
    return this.reader.tableAt(this.reader.follow(at, 4, where), where);
  }

  tables(field: Field): TableVector | null {
    const span = this.vector(field, 4);
    return span && new TableVector(this.reader, span, `${this.where}: ${field.name}`);
  }

  int32s(field: Field): number[] | null {
    const span = this.vector(field, 4, 1);
    if (!span) return null;
    const out = new Array<number>(span.length);
    for (let i = 0; i < span.length; i++) out[i] = this.reader.bb.readInt32(span.start + 4 * i);
    return out;
  }

  float32s(field: Field): number[] | null {
    const span = this.vector(field, 4, 1);
    if (!span) return null;
    const out = new Array<number>(span.length);
    for (let i = 0; i < span.length; i++) out[i] = this.reader.bb.readFloat32(span.start + 4 * i);
    return out;
  }

  /** A [long] whose entries must fit in an int32 (zero points). */
  int64sAsInt32(field: Field): number[] | null {
    const span = this.vector(field, 8, 1);
    if (!span) return null;
    const out = new Array<number>(span.length);
    for (let i = 0; i < span.length; i++) {
      const low = this.reader.bb.readInt32(span.start + 8 * i);
      const high = this.reader.bb.readInt32(span.start + 8 * i + 4);
      if (high !== low >> 31) this.fail(field, `entry ${i} does not fit in 32 bits`);
      out[i] = low;
    }
    return out;
  }

  /** A [ubyte] as a view into the file (not a copy, not charged: it adds no memory). */
  bytes(field: Field): Uint8Array | null {
    const span = this.vector(field, 1, 0);
    return span && this.reader.bytes.subarray(span.start, span.start + span.length);
  }

  private vector(field: Field, elementSize: number, costPerElement = 0): VectorSpan | null {
    const at = this.slot(field, 4);
    if (!at) return null;
    const where = `${this.where}: ${field.name}`;
    const pos = this.reader.follow(at, 4, where);
    const length = this.reader.bb.readUint32(pos);
    const start = pos + 4;
    const left = this.reader.size - start;
    if (length > left / elementSize) {
      this.pastEnd(field, `vector at byte ${pos} claims ${length} entries of ${elementSize} bytes, ` +
        `past the end of the file (${left} bytes remain)`);
    }
    this.reader.charge(length * costPerElement, where);
    return { start, length };
  }
}
