import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../kernels/tflite/errors.js';
import { ImageError, imageInputSpec, imageToTensor } from '../../agent/pipeline/preprocess.js';
import { imagePath } from '../support/paths.js';

const rgb = { height: 224, width: 224, channels: 3, type: 'uint8' };

describe('imageToTensor', () => {
  it('passes an image already at the input size through pixel for pixel', async () => {
    const file = imagePath('checker224X224.png');
    const pixels = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer();
    const tensor = await imageToTensor(file, rgb, 'checker', { fit: 'fill', kernel: 'lanczos3' });
    expect(tensor.length).toBe(224 * 224 * 3);
    expect(Buffer.from(tensor as Uint8Array).equals(pixels)).toBe(true);
  });

  it('resizes other sizes with the configured fit', async () => {
    const file = imagePath('cat.png');
    const fill = await imageToTensor(file, rgb, 'cat', { fit: 'fill', kernel: 'linear' });
    const cover = await imageToTensor(file, rgb, 'cat', { fit: 'cover', kernel: 'linear' });
    const contain = await imageToTensor(file, rgb, 'cat', { fit: 'contain', kernel: 'linear' });
    expect(fill.length).toBe(224 * 224 * 3);
    expect(Buffer.from(fill as Uint8Array).equals(Buffer.from(cover as Uint8Array))).toBe(false);
    // 512x341 letterboxed into 224x224: the top rows are the black border.
    expect(Array.from((contain as Uint8Array).subarray(0, 224 * 3)).every((v) => v === 0)).toBe(true);
  });

  it('stores int8 inputs shifted by -128 and float inputs in [-1, 1]', async () => {
    const file = imagePath('checker224X224.png');
    const u8 = (await imageToTensor(file, rgb, 'c')) as Uint8Array;
    const i8 = await imageToTensor(file, { ...rgb, type: 'int8' }, 'c');
    const f32 = await imageToTensor(file, { ...rgb, type: 'float32' }, 'c');
    expect(i8).toBeInstanceOf(Int8Array);
    expect(f32).toBeInstanceOf(Float32Array);
    for (const i of [0, 1000, 150527]) {
      expect(i8[i]).toBe(u8[i] - 128);
      expect(f32[i]).toBeCloseTo(u8[i] / 127.5 - 1, 6);
    }
  });

  it('names the source and the cause for data that is not an image', async () => {
    await expect(imageToTensor(new Uint8Array([1, 2, 3, 4, 5]), rgb, 'frame-7')).rejects.toThrow(ImageError);
    await expect(imageToTensor(new Uint8Array([1, 2, 3]), rgb, 'frame-7')).rejects.toThrow(/^frame-7: not an image/);
    await expect(imageToTensor('/nonexistent/x.png', rgb, '/nonexistent/x.png')).rejects.toThrow(/x\.png: no such file/);
  });

  it('reports a truncated JPEG as corrupt', async () => {
    const { readFileSync } = await import('node:fs');
    const jpeg = readFileSync(imagePath('parrot.jpg'));
    await expect(imageToTensor(jpeg.subarray(0, jpeg.length / 3), rgb, 'parrot-cut')).rejects.toThrow(/^parrot-cut: /);
  });
});

describe('imageInputSpec', () => {
  it('reads [1, height, width, channels] inputs of 3 (RGB) or 1 (grey) channels', () => {
    expect(imageInputSpec('m.tflite', { shape: [1, 224, 192, 3], type: 'uint8' })).toEqual({ height: 224, width: 192, channels: 3, type: 'uint8' });
    expect(imageInputSpec('m.tflite', { shape: [1, 96, 96, 1], type: 'int8' })).toEqual({ height: 96, width: 96, channels: 1, type: 'int8' });
  });

  it('blames the model, not the image, for an input that is not an image', () => {
    const cases: [number[], string, string][] = [
      [[1, 1024], 'uint8', 'its input is 1x1024 uint8, not an image'],
      [[1, 16, 16, 4], 'uint8', 'its input is 1x16x16x4 uint8, not an image'],
      [[2, 224, 224, 3], 'uint8', 'its input is 2x224x224x3 uint8, not an image'],
      [[1, 0, 224, 3], 'uint8', 'its input is 1x0x224x3 uint8, not an image'],
      [[1, 224, 224, 3], 'int32', 'its input is 1x224x224x3 int32, not an image'],
    ];
    for (const [shape, type, says] of cases) {
      let error: unknown;
      try {
        imageInputSpec('m.tflite', { shape, type });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).message).toBe(`m.tflite: ${says} (an image input is [1, height, width, 3 or 1] of uint8, int8 or float32)`);
    }
  });
});
