// The simulated camera on real folders: sorted looping order, and each fault it can show
// (.faults error / stall / corrupt, a folder that disappears and returns).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimCamera } from '../../../agent/camera/sim-camera.js';
import { imagePath } from '../../support/paths.js';
import { captureFailure } from './fake-camera.js';

let root: string;
let dir: string;
let camera: SimCamera;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'edge-agent-sim-'));
  dir = join(root, 'images');
  mkdirSync(dir);
  copyFileSync(imagePath('parrot.jpg'), join(dir, 'b-parrot.jpg'));
  copyFileSync(imagePath('cat.png'), join(dir, 'a-cat.png'));
  copyFileSync(imagePath('bird.png'), join(dir, 'C-bird.PNG'));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  camera = new SimCamera(dir);
});

afterEach(async () => {
  await camera.close();
  rmSync(root, { recursive: true, force: true });
});

const sources = async (n: number): Promise<string[]> => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await camera.capture()).source);
  return out;
};

const failure = (): Promise<string> => captureFailure(camera);

const faults = (text: string): void => writeFileSync(join(dir, '.faults'), text);

describe('SimCamera', () => {
  it('serves the JPEG and PNG files in sorted file-name order, looping, with the file name as source', async () => {
    expect(await sources(7)).toEqual(['C-bird.PNG', 'a-cat.png', 'b-parrot.jpg', 'C-bird.PNG', 'a-cat.png', 'b-parrot.jpg', 'C-bird.PNG']);
    const frame = await camera.capture();
    expect(frame.data.equals(readFileSync(imagePath('cat.png')))).toBe(true);
    expect(frame.capturedAt).toBeLessThanOrEqual(Date.now());
    expect(frame.captureMs).toBeGreaterThanOrEqual(0);
  });

  it('picks up files added to the folder when the loop comes round', async () => {
    expect(await sources(2)).toEqual(['C-bird.PNG', 'a-cat.png']);
    copyFileSync(imagePath('parrot.jpg'), join(dir, 'a0-new.jpeg'));
    // The listing is re-read at the wrap, so the new file comes in the next loop, in order.
    expect(await sources(5)).toEqual(['b-parrot.jpg', 'C-bird.PNG', 'a-cat.png', 'a0-new.jpeg', 'b-parrot.jpg']);
  });

  it('fails every capture while .faults says error, and carries on in order once it is removed', async () => {
    expect(await sources(1)).toEqual(['C-bird.PNG']);
    faults('# injected by the test\n\nerror\n');
    for (let i = 0; i < 3; i++) expect(await failure()).toMatch(/simulated capture error \(\.faults says error\)/);
    rmSync(join(dir, '.faults'));
    expect(await sources(2)).toEqual(['a-cat.png', 'b-parrot.jpg']);
  });

  it('hangs a capture while .faults says stall, until the camera is closed', async () => {
    faults('stall');
    const capture = camera.capture();
    const outcome = await Promise.race([capture.then(() => 'frame', () => 'error'), new Promise((r) => setTimeout(() => r('pending'), 200))]);
    expect(outcome).toBe('pending');
    await camera.close();
    await expect(capture).rejects.toThrow(/closed during a stalled capture/);
    await expect(camera.capture()).rejects.toThrow(/the camera is closed/);
  });

  it('serves truncated images while .faults says corrupt, which do not decode', async () => {
    faults('corrupt');
    await sources(2);
    const frame = await camera.capture();
    const whole = readFileSync(imagePath('parrot.jpg'));
    expect(frame.source).toBe('b-parrot.jpg');
    expect(frame.data.length).toBe(whole.length >> 1);
    expect(frame.data.equals(whole.subarray(0, whole.length >> 1))).toBe(true);
    await expect(sharp(frame.data).raw().toBuffer()).rejects.toThrow();
    rmSync(join(dir, '.faults'));
    const next = await camera.capture();
    await expect(sharp(next.data).raw().toBuffer()).resolves.toBeInstanceOf(Buffer);
  });

  it('names the file and the word when .faults holds an unknown fault', async () => {
    faults('explode');
    expect(await failure()).toBe(`${join(dir, '.faults')}: unknown fault "explode" (expected error, stall, corrupt)`);
    faults('   # nothing but a comment\n');
    expect(await sources(1)).toEqual(['C-bird.PNG']);
  });

  it('fails while its folder is gone and serves again, in order, when it returns', async () => {
    expect(await sources(1)).toEqual(['C-bird.PNG']);
    renameSync(dir, `${dir}.away`);
    expect(await failure()).toMatch(new RegExp(`^${dir}/a-cat.png: no such file or folder`));
    expect(await failure()).toBe(`${dir}: no such file or folder (gone?)`);
    renameSync(`${dir}.away`, dir);
    expect(await sources(2)).toEqual(['a-cat.png', 'b-parrot.jpg']);
  });

  it('fails with the folder named when it holds no images', async () => {
    for (const f of ['a-cat.png', 'b-parrot.jpg', 'C-bird.PNG']) rmSync(join(dir, f));
    expect(await failure()).toBe(`${dir}: no JPEG or PNG files to serve`);
  });
});
