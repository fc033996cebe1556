// The agent decodes a JPEG frame much larger than the model's input at a reduced scale
// (libjpeg's shrink-on-load, chosen by sharp), as libvips itself reports it
// (bench/jpeg-load-scale.ts): 1280x720 to 224x224 at 1/2, to 128x128 at 1/4; to 300x300
// (the SSD) at full size, since sharp keeps shrink-on-load for a factor of 3 or more
// (720/300 is 2.4). A PNG is never shrunk on load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegLoadScale } from '../../bench/jpeg-load-scale.js';
import { imagePath } from '../support/paths.js';

const frame = imagePath('cat_720p.jpg');
const rgb = (side: number) => ({ width: side, height: side, channels: 3, type: 'uint8' });

describe('JPEG decoding at reduced scale (shrink-on-load)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'edge-agent-shrink-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('decodes a 720p frame at 1/2 for a 224x224 input and at 1/4 for 128x128', async () => {
    expect(await sharp(frame).metadata()).toMatchObject({ format: 'jpeg', width: 1280, height: 720 });
    expect(jpegLoadScale(frame, 720, rgb(224))).toBe(2);
    expect(jpegLoadScale(frame, 720, rgb(128))).toBe(4);
    expect(jpegLoadScale(frame, 720, rgb(128), { fit: 'cover', kernel: 'linear' })).toBe(4);
  });

  it('decodes it at full size for the 300x300 detector, and a 1080p frame at 1/2', async () => {
    expect(jpegLoadScale(frame, 720, rgb(300))).toBe(1);
    const fullHd = join(work, 'frame-1080p.jpg');
    await sharp(frame).resize(1920, 1080).jpeg().toFile(fullHd);
    expect(jpegLoadScale(fullHd, 1080, rgb(300))).toBe(2);
  });

  it('never shrinks a PNG on load', async () => {
    const png = join(work, 'frame.png');
    await sharp(frame).png().toFile(png);
    expect(jpegLoadScale(png, 720, rgb(128))).toBe(1);
  });
});
