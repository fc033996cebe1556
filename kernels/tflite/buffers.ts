// The model's constant data. A Buffer table holds its bytes in a [ubyte] vector, or, in
// files written for models over 2 GB, as an offset and size into the file.

import type { FlatReader, TableVector } from './flatbuffer-reader.js';
import { BufferFields } from './schema.js';

/** The model's buffers, opened (and checked) when a tensor or the metadata uses one. */
export class Buffers {
  private readonly opened = new Map<number, Uint8Array | null>();

  constructor(private readonly reader: FlatReader, private readonly vector: TableVector | null) {}

  get count(): number {
    return this.vector ? this.vector.length : 0;
  }

  /** The buffer's bytes as a view into the file, or null when it is empty. */
  data(index: number, where: string): Uint8Array | null {
    // Buffer 0 is by convention the empty one, which a model without constants may omit.
    if (index === 0 && this.count === 0) return null;
    if (index >= this.count) {
      this.reader.fail(where, `buffer ${index} out of range (file has ${this.count} buffers)`);
    }
    let data = this.opened.get(index);
    if (data === undefined) {
      data = this.open(index, where);
      this.opened.set(index, data);
    }
    return data;
  }

  private open(index: number, user: string): Uint8Array | null {
    const buffer = (this.vector as TableVector).at(index, `${user}: buffer ${index}`);
    // An offset counts from the start of the file and is in use only when above 1.
    const offset = buffer.uint64(BufferFields.offset);
    if (offset > 1) {
      const size = buffer.uint64(BufferFields.size);
      if (offset + size > this.reader.size) {
        buffer.pastEnd(BufferFields.size, `${size} bytes at offset ${offset} run past the end of the file ` +
          `(${this.reader.size} bytes)`);
      }
      return size > 0 ? this.reader.bytes.subarray(offset, offset + size) : null;
    }
    const data = buffer.bytes(BufferFields.data);
    return data && data.length > 0 ? data : null;
  }
}
