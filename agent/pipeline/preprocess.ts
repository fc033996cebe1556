import sharp from 'sharp';
import { sharpImage, type ImageInput } from '../camera/raw-image.js';
import type { TensorValues } from '../../kernels/graph/executor.js';
import { ModelError } from '../../kernels/tflite/errors.js';

// Every frame is decoded once and never again, so libvips' operation cache only holds
// memory (measured: the agent's RSS grew by 40 MB in a minute at 10 fps with it on).
sharp.cache(false);

/** How an image of another size is fitted to the model's input. */
export type ResizeFit = 'fill' | 'cover' | 'contain';
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

export interface PreprocessOptions {
  fit: ResizeFit;
  kernel: ResizeKernel;
}

export const defaultPreprocess: PreprocessOptions = { fit: 'fill', kernel: 'linear' };

export interface InputSpec {
  height: number;
  width: number;
  channels: number;
  type: string;
}

export class ImageError extends Error {
  constructor(readonly source: string, readonly reason: string) {
    super(`${source}: ${reason}`);
    this.name = 'ImageError';
  }
}

const IMAGE_TYPES = ['uint8', 'int8', 'float32'];

/**
 * The image a model takes: its input must be [1, height, width, channels] with 3 (RGB) or 1
 * (grey) channels, of a type imageToTensor writes. Anything else (an embedding vector, a
 * batch, an audio frame) is the model's fault, not the image's, and is said so before any
 * image is read.
 */
export function imageInputSpec(model: string, input: { shape: readonly number[]; type: string }): InputSpec {
  const { shape, type } = input;
  const [batch, height, width, channels] = shape;
  const image = shape.length === 4 && batch === 1 && height > 0 && width > 0 && (channels === 3 || channels === 1);
  if (!image || !IMAGE_TYPES.includes(type)) {
    throw new ModelError(model, `its input is ${shape.join('x')} ${type}, not an image ` +
      `(an image input is [1, height, width, 3 or 1] of ${IMAGE_TYPES.slice(0, -1).join(', ')} or ${IMAGE_TYPES.at(-1)})`);
  }
  return { height, width, channels, type };
}

function describeSharpError(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  if (/unsupported image format/i.test(message)) return 'not an image (unsupported or unrecognised format)';
  if (/Input file is missing/i.test(message)) return 'no such file';
  if (/premature end|corrupt|truncated|VipsJpeg|pngload|bad seek/i.test(message)) return `corrupt image data (${message.split('\n')[0]})`;
  return message.split('\n')[0];
}

/**
 * Decodes a JPEG/PNG (file path or bytes) or a raw frame into the model's input tensor: RGB, resized to
 * the input's size unless it already is that size (then used pixel for pixel), and
 * stored in the input's type. uint8 takes the pixels as they are; int8 shifts them by
 * -128; float32 maps them to [-1, 1], the MobileNet convention.
 */
export async function imageToTensor(
  image: string | ImageInput,
  spec: InputSpec,
  source: string,
  options: PreprocessOptions = defaultPreprocess,
): Promise<TensorValues> {
  if (spec.channels !== 3 && spec.channels !== 1) {
    throw new ImageError(source, `the model takes ${spec.channels} channels; only RGB (3) or grey (1) inputs are supported`);
  }
  let pixels: Buffer;
  try {
    // A JPEG much larger than the input is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's
    // shrink-on-load, which sharp applies by itself when it resizes straight after loading).
    let pipeline = sharpImage(image, { failOn: 'error' });
    const meta = await pipeline.metadata();
    if (!meta.width || !meta.height) throw new Error('the image has no size');
    pipeline = pipeline.removeAlpha().toColourspace(spec.channels === 3 ? 'srgb' : 'b-w');
    if (meta.width !== spec.width || meta.height !== spec.height || (meta.orientation ?? 1) !== 1) {
      pipeline = pipeline.rotate().resize(spec.width, spec.height, { fit: options.fit, kernel: options.kernel });
    }
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== spec.width || info.height !== spec.height || info.channels !== spec.channels) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, not ${spec.width}x${spec.height}x${spec.channels}`);
    }
    pixels = data;
  } catch (err) {
    throw new ImageError(source, describeSharpError(err));
  }
  switch (spec.type) {
    case 'uint8':
      return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
    case 'int8':
      return Int8Array.from(pixels, (v) => v - 128);
    case 'float32':
      return Float32Array.from(pixels, (v) => v / 127.5 - 1);
    default:
      throw new ImageError(source, `the model's input type ${spec.type} is not supported`);
  }
}
