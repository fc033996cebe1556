// Files that are not sound models, as a user might pass them to --model: each must give
// a ModelError whose message starts with the path and says what is wrong.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../kernels/tflite/errors.js';
import { loadModelFile, readModel } from '../../kernels/tflite/reader.js';

const path = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const MODEL = path('models/mobilenet_v1_0.25_128_quant.tflite');
const model = new Uint8Array(readFileSync(MODEL));
/** Where the appended label archive starts (its first entry): the flatbuffer is before. */
const flatbufferEnd = (() => {
  const view = new DataView(model.buffer, model.byteOffset);
  const eocd = model.length - 22;
  const directory = eocd - view.getUint32(eocd + 12, true);
  // The metadata writer stores offsets from the start of the file, not of the archive.
  const base = directory - view.getUint32(eocd + 16, true);
  return base + view.getUint32(directory + 42, true);
})();

const scratch = mkdtempSync(join(tmpdir(), 'tflite-bad-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, bytes: Uint8Array): string {
  const file = join(scratch, name);
  writeFileSync(file, bytes);
  return file;
}

async function loadError(file: string): Promise<ModelError> {
  const error = await loadModelFile(file).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ModelError);
  const modelError = error as ModelError;
  expect(modelError.file).toBe(file);
  expect(modelError.message.startsWith(`${file}: `)).toBe(true);
  expect(modelError.message).not.toMatch(/\n/);
  return modelError;
}

function readError(bytes: Uint8Array, file = 'bad.tflite'): ModelError {
  let error: unknown;
  try {
    readModel(bytes, file);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelError);
  expect((error as ModelError).message.startsWith(`${file}: `)).toBe(true);
  return error as ModelError;
}

/** Deterministic bytes (xorshift32), so that a failure can be replayed. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('files that cannot be read', () => {
  it('a missing file', async () => {
    expect((await loadError(join(scratch, 'nope.tflite'))).message).toBe(`${join(scratch, 'nope.tflite')}: no such file`);
  });

  it('a directory', async () => {
    expect((await loadError(path('models'))).reason).toBe('is a directory, not a model file');
  });

  it('a device that never ends', async () => {
    expect((await loadError('/dev/zero')).reason).toBe('is not a regular file');
  });

  it('a FIFO, which no writer will ever open, without waiting for one', async () => {
    const fifo = join(scratch, 'fifo.tflite');
    execFileSync('mkfifo', [fifo]);
    expect((await loadError(fifo)).reason).toBe('is not a regular file');
  }, 5000);

  it('an empty file', async () => {
    expect((await loadError(scratchFile('empty.tflite', new Uint8Array(0)))).reason).toBe('empty file (0 bytes), not a TFLite model');
  });
});

describe('files that are something else', () => {
  it('an image given as a model', async () => {
    expect((await loadError(path('samples/cat.png'))).reason).toBe('not a TFLite model: it looks like a PNG image');
    expect((await loadError(path('samples/parrot.jpg'))).reason).toBe('not a TFLite model: it looks like a JPEG image');
  });

  it('a Git LFS pointer in place of the model', async () => {
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${'0123456789abcdef'.repeat(4)}\nsize ${model.length}\n`;
    expect((await loadError(scratchFile('pointer.tflite', new TextEncoder().encode(pointer)))).reason)
      .toBe('not a TFLite model: it looks like a Git LFS pointer, not the model itself: run git lfs pull');
  });

  it('the label file given as a model', async () => {
    expect((await loadError(path('models/imagenet_labels.txt'))).reason).toBe('not a TFLite model: it looks like a text file');
  });

  it('random bytes', () => {
    expect(readError(randomBytes(65536, 1)).reason).toMatch(/^not a TFLite model: bytes 4-7 are [0-9a-f ]{11}, not the identifier 'TFL3'$/);
    expect(readError(randomBytes(5, 2)).reason).toBe('not a TFLite model: 5 bytes is too short');
  });

  it('random bytes behind a TFLite identifier', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const bytes = randomBytes(4096, seed);
      bytes.set([0x54, 0x46, 0x4c, 0x33], 4);
      expect(readError(bytes).reason).toMatch(/^model: /);
    }
  });
});

describe('damaged models', () => {
  it('truncated anywhere in the flatbuffer', async () => {
    expect(flatbufferEnd).toBeGreaterThan(model.length - 22_000);
    const cuts = [6, 8, 12, 64, 1000, 100_000, Math.floor(flatbufferEnd / 2), flatbufferEnd - 100, flatbufferEnd - 1];
    for (const cut of cuts) {
      const file = scratchFile(`cut-${cut}.tflite`, model.subarray(0, cut));
      const error = await loadError(file);
      expect(error.reason, `cut at ${cut}`).toMatch(cut < 8 ? /too short/ : /(past the end of the file|outside the file).*: the file is truncated or damaged$/);
    }
  });

  it('truncated in the appended labels: loads, without labels, and says why', () => {
    const cut = readModel(model.subarray(0, model.length - 10), 'cut.tflite');
    expect(cut.labels).toBeNull();
    expect(cut.operators).toHaveLength(31);
    expect(cut.warnings).toEqual([expect.stringMatching(/label file 'imagenet_labels\.txt', but the model carries no associated files \(the file may be truncated\)$/)]);
  });

  it('with a flipped root offset, vtable offset or version', () => {
    const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset);
    const root = view(model).getUint32(0, true);
    const vtable = root - view(model).getInt32(root, true);
    const version = root + view(model).getUint16(vtable + 4, true);
    const flips: [string, (v: DataView) => void, RegExp][] = [
      ['root offset', (v) => v.setUint32(0, v.getUint32(0, true) ^ 0x00ff0000, true), /^model: table at byte \d+ lies outside the file/],
      ['root vtable', (v) => v.setInt32(root, v.getInt32(root, true) ^ 0x7f000000, true), /^model: table at byte \d+ has its field table at byte -?\d+, outside the file/],
      ['version', (v) => v.setUint8(version, v.getUint8(version) ^ 0xff), /^model: version: schema version 252 is not supported \(expected 3\)$/],
    ];
    for (const [what, flip, pattern] of flips) {
      const bytes = model.slice();
      flip(view(bytes));
      expect(readError(bytes).reason, what).toMatch(pattern);
    }
  });

  it('with every byte of the first kilobyte flipped in turn: loads or fails cleanly', () => {
    let failures = 0;
    for (let at = 0; at < 1024; at++) {
      const bytes = model.slice();
      bytes[at] ^= 0xff;
      try {
        readModel(bytes, 'flipped.tflite');
      } catch (error) {
        expect(error).toBeInstanceOf(ModelError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(100);
  });

  it('with flipped weights: still a valid model (the format has no checksum)', () => {
    const weights = readModel(model, 'intact.tflite').tensors.find((t) => t.data && t.data.length > 1000)!;
    const at = weights.data!.byteOffset + 10;
    const bytes = model.slice();
    bytes[at] ^= 0xff;
    const flipped = readModel(bytes, 'flipped.tflite').tensors[weights.index];
    expect(flipped.data![10]).toBe(weights.data![10] ^ 0xff);
  });
});
