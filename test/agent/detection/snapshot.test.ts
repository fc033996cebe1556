// Event snapshots: a camera frame with a detection's box drawn on it, whole or cropped, as JPEG.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropRegion, renderSnapshot, type Region, type SnapshotSubject } from '../../../agent/detection/snapshot.js';
import { imagePath } from '../../support/paths.js';

// 1280x720, a cat on a red carpet: the outline's red differs from what is under it along the box used here.
const frame = readFileSync(imagePath('cat_720p.jpg'));
const WIDTH = 1280;
const HEIGHT = 720;
// Around the cat's head: x 384..768, y 144..504 in pixels.
const cat: SnapshotSubject = { box: [0.2, 0.3, 0.7, 0.6], label: 'cat', score: 0.91 };

interface Rgb {
  data: Buffer;
  width: number;
  height: number;
}

async function decode(image: Buffer): Promise<Rgb> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Sum of the absolute differences of R, G and B between a's pixel (x, y) and b's pixel (x + dx, y + dy). */
function pixelDifference(a: Rgb, x: number, y: number, b: Rgb, dx = 0, dy = 0): number {
  const i = (y * a.width + x) * 3;
  const j = ((y + dy) * b.width + x + dx) * 3;
  return Math.abs(a.data[i] - b.data[j]) + Math.abs(a.data[i + 1] - b.data[j + 1]) + Math.abs(a.data[i + 2] - b.data[j + 2]);
}

/** Mean difference per channel over a region of `a`, against `b` shifted by (dx, dy). */
function meanDifference(a: Rgb, r: Region, b: Rgb, dx = 0, dy = 0): number {
  let sum = 0;
  for (let y = r.top; y < r.top + r.height; y++) for (let x = r.left; x < r.left + r.width; x++) sum += pixelDifference(a, x, y, b, dx, dy);
  return sum / (r.width * r.height * 3);
}

/**
 * Points in the band where the outline of a box at (left, top, right, bottom) is drawn: a
 * few pixels outside each edge (the stroke is at least 2 pixels wide, 5 at 720 lines).
 */
function outlinePoints(left: number, top: number, right: number, bottom: number): [number, number][] {
  const points: [number, number][] = [];
  for (let t = 0.1; t < 0.95; t += 0.1) {
    const x = Math.round(left + t * (right - left));
    const y = Math.round(top + t * (bottom - top));
    points.push([left - 2, y], [right + 1, y], [x, top - 2], [x, bottom + 1]);
  }
  return points;
}

let original: Rgb;
beforeAll(async () => {
  original = await decode(frame);
});

describe('renderSnapshot, whole frame', () => {
  it('is a JPEG of the frame, at its size, with the outline drawn and the rest left as it was', async () => {
    const out = await renderSnapshot(frame, cat);
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([WIDTH, HEIGHT]);
    const snapshot = await decode(out);
    const differences = outlinePoints(384, 144, 768, 504).map(([x, y]) => pixelDifference(snapshot, x, y, original));
    expect(Math.min(...differences)).toBeGreaterThan(60);
    // Far from the box and its label: only what encoding again at quality 80 changes.
    for (const far of [{ left: 1000, top: 560, width: 270, height: 150 }, { left: 10, top: 600, width: 300, height: 110 }, { left: 900, top: 10, width: 300, height: 80 }]) {
      expect(meanDifference(snapshot, far, original)).toBeLessThan(3);
    }
    // Inside the box, away from its edges, the object is not covered.
    expect(meanDifference(snapshot, { left: 450, top: 200, width: 250, height: 250 }, original)).toBeLessThan(3);
  });

  it('takes PNG frames too', async () => {
    const png = readFileSync(imagePath('cat.png'));
    const { width, height } = await sharp(png).metadata();
    const meta = await sharp(await renderSnapshot(png, cat)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', width, height]);
  });

  it('encodes at quality 80 unless told otherwise', async () => {
    const byDefault = await renderSnapshot(frame, cat);
    expect(byDefault.equals(await renderSnapshot(frame, cat, { quality: 80 }))).toBe(true);
    const low = await renderSnapshot(frame, cat, { quality: 30 });
    const high = await renderSnapshot(frame, cat, { quality: 95 });
    expect(low.length).toBeLessThan(byDefault.length);
    expect(high.length).toBeGreaterThan(byDefault.length);
  });

  it('turns a frame upright by its EXIF orientation, as the detector saw it', async () => {
    const sideways = await sharp(frame).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const meta = await sharp(await renderSnapshot(sideways, cat)).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([HEIGHT, WIDTH, undefined]);
  });
});

describe('renderSnapshot, cropped', () => {
  it('is the region around the box, inside the frame, holding the box, with the outline drawn', async () => {
    const out = await renderSnapshot(frame, cat, { crop: true });
    const meta = await sharp(out).metadata();
    const region = cropRegion(cat.box, WIDTH, HEIGHT);
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([region.width, region.height]);
    expect(region).toEqual({ left: 346, top: 108, width: 461, height: 432 });
    const snapshot = await decode(out);
    const { left, top } = region;
    const differences = outlinePoints(384 - left, 144 - top, 768 - left, 504 - top).map(([x, y]) => pixelDifference(snapshot, x, y, original, left, top));
    expect(Math.min(...differences)).toBeGreaterThan(60);
    // The object, at the region's place in the frame. Encoded again off the original's 8x8 JPEG
    // blocks, it changes more than the whole frame does (2.8 here), but less than one pixel off (6.6).
    expect(meanDifference(snapshot, { left: 450 - left, top: 200 - top, width: 250, height: 250 }, original, left, top)).toBeLessThan(4.5);
  });

  it('keeps a small box in a region of 160 pixels at least, and a large one within the frame', () => {
    expect(cropRegion([0.5, 0.5, 0.52, 0.51], WIDTH, HEIGHT)).toEqual({ left: 566, top: 287, width: 160, height: 160 });
    expect(cropRegion([0, 0, 1, 1], WIDTH, HEIGHT)).toEqual({ left: 0, top: 0, width: WIDTH, height: HEIGHT });
    expect(cropRegion([0.2, 0.2, 0.8, 0.8], 100, 80)).toEqual({ left: 0, top: 0, width: 100, height: 80 });
  });

  it('moves the region into the frame rather than cutting the box or the margin', () => {
    // In the bottom-right corner: 128 x 72 pixels of box, the region 160 x 160 ending at the corner.
    expect(cropRegion([0.9, 0.9, 1, 1], WIDTH, HEIGHT)).toEqual({ left: 1120, top: 560, width: 160, height: 160 });
    expect(cropRegion([0, 0, 0.5, 0.5], WIDTH, HEIGHT)).toEqual({ left: 0, top: 0, width: 768, height: 432 });
  });
});

describe('renderSnapshot, awkward boxes and frames', () => {
  it('draws a box reaching outside the frame where it meets the frame, whole or cropped', async () => {
    const past = { ...cat, box: [-0.1, 0.8, 0.5, 1.2] };
    const whole = await decode(await renderSnapshot(frame, past));
    expect([whole.width, whole.height]).toEqual([WIDTH, HEIGHT]);
    // The outline's left side, at x 1024: drawn. Its top and right sides lie on the frame's edges.
    expect(pixelDifference(whole, 1022, 200, original)).toBeGreaterThan(60);
    expect(pixelDifference(whole, 1100, 2, original)).toBeGreaterThan(60);
    expect(pixelDifference(whole, 1278, 200, original)).toBeGreaterThan(60);
    const region = cropRegion(past.box, WIDTH, HEIGHT);
    expect(region.left + region.width).toBe(WIDTH);
    expect(region.top).toBe(0);
    expect(region.left).toBeLessThanOrEqual(1024);
    const meta = await sharp(await renderSnapshot(frame, past, { crop: true })).metadata();
    expect([meta.width, meta.height]).toEqual([region.width, region.height]);
  });

  it('makes a snapshot for a box wholly outside the frame, upside down or empty, without throwing', async () => {
    for (const box of [[1.1, 1.1, 1.3, 1.5], [-0.5, -0.5, -0.1, -0.2], [0.7, 0.6, 0.2, 0.3], [0.5, 0.5, 0.5, 0.5]]) {
      for (const crop of [false, true]) {
        const meta = await sharp(await renderSnapshot(frame, { ...cat, box }, { crop })).metadata();
        expect(meta.format).toBe('jpeg');
        expect(meta.width).toBeLessThanOrEqual(WIDTH);
        expect(meta.height).toBeLessThanOrEqual(HEIGHT);
      }
    }
  });

  it('writes any label, markup included, as text', async () => {
    const meta = await sharp(await renderSnapshot(frame, { ...cat, label: '<svg> & "friends"' })).metadata();
    expect(meta.format).toBe('jpeg');
  });

  it('rejects a frame that cannot be decoded, saying why', async () => {
    const png = readFileSync(imagePath('cat.png'));
    await expect(renderSnapshot(frame.subarray(0, frame.length / 2), cat))
      .rejects.toThrow(/^snapshot: the camera frame cannot be decoded: corrupt image data \(VipsJpeg: premature end of JPEG image\)$/);
    await expect(renderSnapshot(png.subarray(0, png.length / 2), cat, { crop: true }))
      .rejects.toThrow(/^snapshot: the camera frame cannot be decoded: corrupt image data \(.*png.*\)$/);
    await expect(renderSnapshot(Buffer.from('this is not a picture'), cat))
      .rejects.toThrow(/^snapshot: the camera frame cannot be decoded: not an image \(unsupported or unrecognised format/);
    await expect(renderSnapshot(Buffer.alloc(0), cat)).rejects.toThrow(/^snapshot: the camera frame cannot be decoded: it is empty/);
  });

  it('rejects a quality or a box it cannot use', async () => {
    for (const quality of [0, 101, 79.5, NaN]) {
      await expect(renderSnapshot(frame, cat, { quality })).rejects.toThrow(`snapshot quality must be an integer from 1 to 100, got ${quality}`);
    }
    await expect(renderSnapshot(frame, { ...cat, box: [0, 0, 1] })).rejects.toThrow(/box must be four finite numbers \[ymin, xmin, ymax, xmax\], got \[0, 0, 1\]/);
    await expect(renderSnapshot(frame, { ...cat, box: [0, NaN, 1, 1] })).rejects.toThrow(RangeError);
  });
});
