// Labels from the zip archive appended to a model: which file is chosen, how it is
// split, and that a damaged or hostile archive costs the labels (with a warning) but
// never the model, nor more than a bounded amount of time and memory.

import { readFileSync } from 'node:fs';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MAX_LABEL_BYTES, MAX_LABELS } from '../../kernels/tflite/metadata.js';
import type { Model } from '../../kernels/tflite/model-types.js';
import { readModel } from '../../kernels/tflite/reader.js';
import { Zip } from '../../kernels/tflite/zip.js';
import { encodeMetadata, encodeModel, tinyModel } from '../support/model-builder.js';

const TENSOR_AXIS_LABELS = 2;
const DESCRIPTIONS = 1;

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** The tiny model with `metadata` as its TFLITE_METADATA buffer and `zip` appended. */
function modelWith(zip: Uint8Array | null, metadata?: Uint8Array): Model {
  const spec = tinyModel();
  if (metadata) {
    spec.buffers!.push({ data: metadata });
    spec.metadata = [{ name: 'TFLITE_METADATA', buffer: spec.buffers!.length - 1 }];
  }
  const flatbuffer = encodeModel(spec);
  return readModel(zip ? concat(flatbuffer, zip) : flatbuffer, 'labelled.tflite');
}

const stored = (files: Record<string, string | Uint8Array>): Uint8Array => {
  const zippable: Zippable = {};
  for (const [name, content] of Object.entries(files)) {
    zippable[name] = [typeof content === 'string' ? strToU8(content) : content, { level: 0 }];
  }
  return zipSync(zippable);
};

describe('choosing and splitting the label file', () => {
  it('reads the only text file, stored or deflated, dropping one trailing empty line', () => {
    expect(modelWith(stored({ 'labels.txt': 'cat\ndog\n' })).labels).toEqual(['cat', 'dog']);
    expect(modelWith(zipSync({ 'classes.txt': strToU8('a\r\nb\r\n\r\nc') })).labels).toEqual(['a', 'b', '', 'c']);
    expect(modelWith(stored({ 'labels.txt': '\ufeffsky\n' })).labels).toEqual(['sky']);
  });

  it('prefers a file whose name says label when there are several', () => {
    const model = modelWith(stored({ 'readme.txt': 'read me', 'my_labels.txt': 'x\ny', 'vocab.bin': 'zz' }));
    expect(model.labels).toEqual(['x', 'y']);
    expect(model.warnings).toEqual([]);
  });

  it('gives up with a warning when no text file stands out', () => {
    const model = modelWith(stored({ 'a.txt': '1', 'b.txt': '2' }));
    expect(model.labels).toBeNull();
    expect(model.warnings).toEqual(['no label file: 2 text files among the associated files and none named as labels']);
    expect(modelWith(stored({ 'vocab.bin': 'x' })).labels).toBeNull();
  });

  it('takes the file the metadata names for the output, over any name rule', () => {
    const metadata = encodeMetadata([{ name: 'notes.txt', type: DESCRIPTIONS }, { name: 'classes_fr.txt', type: TENSOR_AXIS_LABELS }]);
    const model = modelWith(stored({ 'labels.txt': 'cat', 'notes.txt': 'n', 'classes_fr.txt': 'chat' }), metadata);
    expect(model.labels).toEqual(['chat']);
    expect(model.metadataNames).toEqual(['TFLITE_METADATA']);
    expect(model.warnings).toEqual([]);
  });

  it('falls back to the name rule, with a warning, when the named file is missing or the metadata is damaged', () => {
    const missing = modelWith(stored({ 'labels.txt': 'cat' }), encodeMetadata([{ name: 'gone.txt', type: TENSOR_AXIS_LABELS }]));
    expect(missing.labels).toEqual(['cat']);
    expect(missing.warnings).toEqual(["metadata names the label file 'gone.txt', which the associated files lack"]);

    const damaged = encodeMetadata([{ name: 'gone.txt', type: TENSOR_AXIS_LABELS }]);
    damaged.set([0xff, 0xff, 0xff, 0x7f], 0);
    const model = modelWith(stored({ 'labels.txt': 'cat' }), damaged);
    expect(model.labels).toEqual(['cat']);
    expect(model.warnings).toEqual([expect.stringMatching(/^metadata unreadable \(TFLITE_METADATA: table at byte \d+ lies outside the file.*\); looking for a label file by name$/)]);

    const foreign = modelWith(stored({ 'labels.txt': 'cat' }), encodeModel(tinyModel()));
    expect(foreign.warnings).toEqual([expect.stringMatching(/file identifier is 'TFL3', not 'M001'/)]);
  });

  it('uses the real metadata of a shipped model', () => {
    const shipped = new Uint8Array(readFileSync(new URL('../../models/mobilenet_v2_1.0_224_quant.tflite', import.meta.url)));
    expect(Zip.find(shipped)!.entries.map((e) => e.name)).toEqual(['imagenet_labels.txt']);
    const flatbuffer = shipped.subarray(0, firstLocalHeader(shipped));
    // A decoy that the name rule alone would pick, listed first.
    const model = readModel(concat(flatbuffer, stored({ 'labels_decoy.txt': 'decoy', 'imagenet_labels.txt': 'background\ntench' })), 'v2.tflite');
    expect(model.labels).toEqual(['background', 'tench']);
  });

  it('has no labels and no complaint when the model has no archive', () => {
    const model = modelWith(null);
    expect(model.labels).toBeNull();
    expect(model.warnings).toEqual([]);
  });
});

/** The offset of the first zip local header of the archive appended to `bytes`. */
function firstLocalHeader(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const eocd = bytes.length - 22;
  const directory = eocd - view.getUint32(eocd + 12, true);
  return directory - view.getUint32(eocd + 16, true) + view.getUint32(directory + 42, true);
}

describe('hostile and damaged archives', () => {
  /** Sets the declared uncompressed size of every entry (local and central headers). */
  function declareSize(zip: Uint8Array, size: number): Uint8Array {
    const out = zip.slice();
    const view = new DataView(out.buffer);
    for (let at = 0; at + 4 <= out.length; at++) {
      const signature = view.getUint32(at, true);
      if (signature === 0x04034b50) view.setUint32(at + 22, size, true);
      if (signature === 0x02014b50) view.setUint32(at + 24, size, true);
    }
    return out;
  }

  const expectNoLabels = (model: Model, pattern: RegExp) => {
    expect(model.labels).toBeNull();
    expect(model.operators).toHaveLength(1);
    expect(model.warnings).toHaveLength(1);
    expect(model.warnings[0]).toMatch(/^associated files unreadable: .*; no labels$/);
    expect(model.warnings[0]).toMatch(pattern);
  };

  it('refuses an entry that declares more than the cap, without inflating it', () => {
    const bomb = declareSize(zipSync({ 'labels.txt': new Uint8Array(1 << 20) }), MAX_LABEL_BYTES + 1);
    expectNoLabels(modelWith(bomb), new RegExp(`'labels\\.txt' declares ${MAX_LABEL_BYTES + 1} bytes, more than the ${MAX_LABEL_BYTES} allowed`));
  });

  it('stops inflating an entry that produces more than it declares', () => {
    // 64 MB of zeros deflates to ~64 kB; the entry claims 100 bytes.
    const bomb = declareSize(zipSync({ 'labels.txt': new Uint8Array(64 << 20) }), 100);
    const start = performance.now();
    expectNoLabels(modelWith(bomb), /'labels\.txt' inflates to more than the 100 bytes it declares/);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('refuses an entry that inflates to less than it declares', () => {
    expectNoLabels(modelWith(declareSize(zipSync({ 'labels.txt': strToU8('a\nb\n') }), 50)), /inflates to 4 bytes, not the 50 it declares/);
  });

  it('refuses a label file of more lines than any label set', () => {
    const lines = new Uint8Array(MAX_LABELS + 1).fill(0x0a);
    expectNoLabels(modelWith(zipSync({ 'labels.txt': lines })), new RegExp(`has ${MAX_LABELS + 2} lines, more than the ${MAX_LABELS} labels allowed`));
  });

  it('survives corrupt deflate data, directories, headers and offsets', () => {
    const good = zipSync({ 'labels.txt': [strToU8('cat\ndog\n'.repeat(50)), { level: 9 }] });
    const central = Buffer.from(good).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const eocd = good.length - 22;
    const damage: [string, (v: DataView) => void, RegExp][] = [
      ['deflate data', (v) => v.setUint32(40, 0xffffffff), /'labels\.txt' is not valid deflate data|inflates to/],
      ['central signature', (v) => v.setUint8(central, 0), /central directory entry 0 is missing or damaged/],
      ['local signature', (v) => v.setUint8(0, 0), /local header at byte \d+ is missing or damaged/],
      ['local header offset', (v) => v.setUint32(central + 42, 0x7fffffff, true), /local header at byte \d+ is missing or damaged/],
      ['directory offset', (v) => v.setUint32(eocd + 16, 0x7fffffff, true), /central directory .* lies outside the file/],
      ['entry count', (v) => v.setUint16(eocd + 10, 5000, true), /central directory entry 1 is missing or damaged/],
      ['name length', (v) => v.setUint16(central + 28, 60000, true), /central directory entry 0 runs past the directory/],
      ['compressed size', (v) => v.setUint32(central + 20, 0x7fffffff, true), /run past the archive/],
      ['method', (v) => v.setUint16(central + 10, 12, true), /uses compression method 12/],
      ['encryption', (v) => v.setUint16(central + 8, 1, true), /is encrypted/],
      ['zip64', (v) => v.setUint32(eocd + 16, 0xffffffff, true), /ZIP64 archives are not supported/],
    ];
    for (const [what, hurt, pattern] of damage) {
      const zip = good.slice();
      hurt(new DataView(zip.buffer));
      const model = modelWith(zip);
      expect(model.labels, what).toBeNull();
      expect(model.warnings[0], what).toMatch(pattern);
    }
  });

  it('ignores zip signatures that do not end the file', () => {
    const zip = stored({ 'labels.txt': 'cat' });
    // Trailing bytes after the end record: it no longer ends the file, so it is not one.
    expect(modelWith(concat(zip, new Uint8Array([1, 2, 3]))).labels).toBeNull();
    // A stored file that itself contains an end record signature changes nothing.
    const decoy = new Uint8Array(64);
    decoy.set([0x50, 0x4b, 0x05, 0x06], 10);
    expect(modelWith(stored({ 'labels.txt': 'cat', 'decoy.bin': decoy })).labels).toEqual(['cat']);
  });

  it('survives every single-byte corruption of the archive', () => {
    const zip = zipSync({ 'labels.txt': [strToU8('cat\ndog\n'.repeat(20)), { level: 6 }] });
    for (let at = 0; at < zip.length; at++) {
      for (const value of [0x00, 0xff, zip[at] ^ 0x01]) {
        const damaged = zip.slice();
        damaged[at] = value;
        const model = modelWith(damaged);
        expect(model.operators).toHaveLength(1);
        expect(model.labels === null || Array.isArray(model.labels)).toBe(true);
      }
    }
  });
});
