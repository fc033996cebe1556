import sharp, { type Sharp, type SharpOptions } from 'sharp';
import type { Frame, RawPixels } from './camera.js';

/** A frame's pixels as a raw image, or its encoded bytes. */
export type ImageInput = Uint8Array | { data: Buffer; raw: RawPixels };

export function frameImage(frame: Frame): ImageInput {
  return frame.raw ? { data: frame.data, raw: frame.raw } : frame.data;
}

// Rounded: a Buffer truncates what it is given, which turned white (Y 235) into 254.
const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/**
 * Planar YUV 4:2:0 (I420, BT.601 limited range, what rpicam-vid writes) to packed RGB.
 * Done here because libvips has no YUV input; at a model-sized frame (256x224) it costs
 * well under a millisecond, which is why the yuv420 path asks the ISP for that size.
 */
export function yuv420ToRgb(data: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.allocUnsafe(width * height * 3);
  const uPlane = width * height;
  const vPlane = uPlane + (width / 2) * (height / 2);
  const chromaWidth = width / 2;
  for (let y = 0; y < height; y++) {
    const chromaRow = (y >> 1) * chromaWidth;
    for (let x = 0; x < width; x++) {
      const Y = (255 / 219) * (data[y * width + x] - 16);
      const c = chromaRow + (x >> 1);
      const U = data[uPlane + c] - 128;
      const V = data[vPlane + c] - 128;
      const o = (y * width + x) * 3;
      out[o] = clamp(Y + 1.596 * V);
      out[o + 1] = clamp(Y - 0.392 * U - 0.813 * V);
      out[o + 2] = clamp(Y + 2.017 * U);
    }
  }
  return out;
}

/** A sharp pipeline reading the image: raw pixels as RGB, anything else by its format. */
export function sharpImage(image: string | ImageInput, options: SharpOptions = {}): Sharp {
  if (typeof image === 'string' || image instanceof Uint8Array) return sharp(image, options);
  const { data, raw } = image;
  const rgb = raw.format === 'yuv420' ? yuv420ToRgb(data, raw.width, raw.height) : data;
  return sharp(rgb, { ...options, raw: { width: raw.width, height: raw.height, channels: 3 } });
}

/** The frame as an image file for a browser: JPEG or PNG as it came, raw pixels encoded to JPEG now. */
export async function viewableImage(frame: Frame): Promise<Buffer> {
  return frame.raw ? sharpImage(frameImage(frame)).jpeg({ quality: 85 }).toBuffer() : frame.data;
}
