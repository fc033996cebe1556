// Raw frames: I420 (what rpicam-vid's yuv420 writes) converted to RGB per pixel with its
// shared chroma, and raw frames read through sharp at their size for the model's input.
import { describe, expect, it } from 'vitest';
import { sharpImage, yuv420ToRgb } from '../../../agent/camera/raw-image.js';
import { imageToTensor } from '../../../agent/pipeline/preprocess.js';

/** An I420 frame whose four 2x2 blocks (4x4 pixels) each have one Y, U and V. */
function i420(blocks: [number, number, number][]): Buffer {
  const width = 4;
  const height = 4;
  const data = Buffer.alloc(width * height * 1.5);
  blocks.forEach(([y, u, v], b) => {
    const bx = (b % 2) * 2;
    const by = Math.floor(b / 2) * 2;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) data[(by + dy) * width + bx + dx] = y;
    data[16 + (by / 2) * 2 + bx / 2] = u;
    data[20 + (by / 2) * 2 + bx / 2] = v;
  });
  return data;
}

const pixel = (rgb: Buffer, x: number, y: number): number[] => [...rgb.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];

describe('yuv420ToRgb', () => {
  it('converts BT.601 limited-range I420 to RGB, each 2x2 block with its own chroma', () => {
    // Black, white, and the BT.601 codes of pure red and pure blue.
    const rgb = yuv420ToRgb(i420([[16, 128, 128], [235, 128, 128], [81, 90, 240], [41, 240, 110]]), 4, 4);
    expect(pixel(rgb, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(rgb, 3, 1)).toEqual([255, 255, 255]);
    const [r, g, b] = pixel(rgb, 1, 2);
    expect(r).toBeGreaterThan(250);
    expect(g).toBeLessThan(5);
    expect(b).toBeLessThan(5);
    const [r2, g2, b2] = pixel(rgb, 2, 3);
    expect(b2).toBeGreaterThan(250);
    expect(r2).toBeLessThan(5);
    expect(g2).toBeLessThan(5);
  });

  it('feeds the model: a raw frame becomes the input tensor at the model size', async () => {
    const tensor = await imageToTensor({ data: i420([[235, 128, 128], [235, 128, 128], [235, 128, 128], [235, 128, 128]]), raw: { format: 'yuv420', width: 4, height: 4 } },
      { width: 2, height: 2, channels: 3, type: 'uint8' }, 'test');
    expect([...tensor]).toEqual(new Array(12).fill(255));
    const meta = await sharpImage({ data: Buffer.alloc(6 * 2 * 3, 7), raw: { format: 'rgb24', width: 6, height: 2 } }).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([6, 2, 3]);
  });
});
