// The splitters that turn a camera's byte stream into frames: JPEGs found by their marker
// structure (whatever the chunking, garbage between and inside, EXIF thumbnails, frames past
// the cap), raw frames by their exact size.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { MjpegSplitter } from '../../../../agent/camera/stream/mjpeg-splitter.js';
import { RawSplitter } from '../../../../agent/camera/stream/raw-splitter.js';

const jpeg = (width: number, height: number, seed: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: seed * 40 % 256, g: (seed * 90) % 256, b: 200 } } })
    .composite([{ input: Buffer.from(`<svg width="${width}" height="${height}"><text x="4" y="20" font-size="18">${seed}</text></svg>`) }])
    .jpeg({ quality: 80 })
    .toBuffer();

/** A JPEG whose APP1 segment carries a whole thumbnail JPEG, with its own SOI and EOI. */
function withThumbnail(image: Buffer, thumbnail: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0'), thumbnail]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([image.subarray(0, 2), app1, payload, image.subarray(2)]);
}

function split(stream: Buffer, chunkSizes: (i: number) => number, max = 1 << 20): { frames: Buffer[]; splitter: MjpegSplitter } {
  const frames: Buffer[] = [];
  const splitter = new MjpegSplitter(max, (f) => frames.push(Buffer.from(f)));
  for (let at = 0, i = 0; at < stream.length; i++) {
    const n = Math.max(1, chunkSizes(i));
    splitter.push(stream.subarray(at, at + n));
    at += n;
  }
  return { frames, splitter };
}

let images: Buffer[];
beforeAll(async () => {
  images = await Promise.all([1, 2, 3, 4].map((s) => jpeg(96, 64, s)));
});

describe('MjpegSplitter', () => {
  it('finds every frame of a clean stream whatever the chunk sizes, down to one byte', () => {
    const stream = Buffer.concat(images);
    for (const sizes of [() => stream.length, () => 1, () => 7, (i: number) => (i * 7919) % 3000]) {
      const { frames, splitter } = split(stream, sizes);
      expect(frames).toEqual(images);
      expect(splitter.stats).toEqual({ frames: 4, skippedBytes: 0, skippedFrames: 0 });
    }
  });

  it('skips garbage before, between and after frames, counting its bytes, and keeps the stream', () => {
    const garbage = Buffer.from('--boundary\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd9\xff\x00', 'latin1');
    const stream = Buffer.concat([garbage, images[0], garbage, images[1], images[2], garbage]);
    const { frames, splitter } = split(stream, (i) => 1 + (i % 13));
    expect(frames).toEqual(images.slice(0, 3));
    expect(splitter.stats.frames).toBe(3);
    // The trailing garbage's last two bytes may still be held as a possible start.
    expect(splitter.stats.skippedBytes).toBeGreaterThanOrEqual(garbage.length * 3 - 2);
    expect(splitter.stats.skippedFrames).toBe(0);
  });

  it('gives up a frame cut short by the next one, counts it, and resynchronises on the next start', () => {
    const cut = images[1].subarray(0, images[1].length >> 1);
    const { frames, splitter } = split(Buffer.concat([images[0], cut, images[2], images[3]]), () => 4096);
    // The cut frame's scan runs into the next frame's start of image, a marker that cannot be there.
    expect(frames).toEqual([images[0], images[2], images[3]]);
    expect(splitter.stats.skippedFrames).toBe(1);
    expect(splitter.stats.skippedBytes).toBe(cut.length);
  });

  it('does not end a frame at the end of an EXIF thumbnail inside it', () => {
    const framed = withThumbnail(images[0], images[3]);
    const { frames } = split(Buffer.concat([framed, images[1]]), () => 100);
    expect(frames).toEqual([framed, images[1]]);
  });

  it('gives up frames longer than the cap, counted, and keeps the ones that fit', async () => {
    const big = await jpeg(640, 480, 9);
    const max = Math.max(...images.map((i) => i.length)) + 10;
    expect(big.length).toBeGreaterThan(max);
    const { frames, splitter } = split(Buffer.concat([images[0], big, images[1]]), () => 512, max);
    expect(frames).toEqual([images[0], images[1]]);
    expect(splitter.stats.skippedFrames).toBeGreaterThanOrEqual(1);
    expect(splitter.stats.skippedBytes).toBeGreaterThanOrEqual(big.length - 2);
  });

  it('holds memory to about the cap when a start of image is never followed by an end', () => {
    const splitter = new MjpegSplitter(10_000, () => {});
    const start = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]);
    splitter.push(start);
    for (let i = 0; i < 200; i++) splitter.push(Buffer.alloc(1000, 0x11));
    expect(splitter.stats.skippedFrames).toBe(1);
    expect(splitter.stats.skippedBytes).toBeGreaterThan(190_000);
  });

  it('decodes what it splits: each frame is a whole JPEG', async () => {
    const { frames } = split(Buffer.concat(images), () => 333);
    for (const f of frames) expect((await sharp(f).metadata()).width).toBe(96);
  });
});

describe('RawSplitter', () => {
  it('cuts frames of the exact size whatever the chunking, and keeps a partial frame for the next chunk', () => {
    const size = 6 * 4 * 3 / 2;
    const stream = Buffer.from(Array.from({ length: size * 5 + 7 }, (_, i) => i % 251));
    for (const chunk of [1, 5, size, size + 1, 1000]) {
      const frames: Buffer[] = [];
      const splitter = new RawSplitter(size, (f) => frames.push(Buffer.from(f)));
      for (let at = 0; at < stream.length; at += chunk) splitter.push(stream.subarray(at, at + chunk));
      expect(frames).toHaveLength(5);
      expect(Buffer.concat(frames)).toEqual(stream.subarray(0, size * 5));
      expect(splitter.frames).toBe(5);
    }
  });

  it('refuses a frame size that is not a positive integer', () => {
    expect(() => new RawSplitter(0, () => {})).toThrow(/positive number of bytes/);
    expect(() => new RawSplitter(1.5, () => {})).toThrow(/positive number of bytes/);
  });
});
