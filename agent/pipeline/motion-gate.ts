import { sharpImage, type ImageInput } from '../camera/raw-image.js';

const WIDTH = 64;
const HEIGHT = 48;

/**
 * A cheap test for a still scene: the frame shrunk to a 64x48 grey image and compared
 * with the last frame that was classified. Decoding at this size costs a fraction of
 * inference, so a still feeder or doorway costs almost nothing.
 */
export class MotionGate {
  private last: Uint8Array | null = null;
  private lastPassAt = 0;

  constructor(private readonly threshold: number, private readonly minIntervalMs: number) {}

  /** Mean absolute difference in 0..1 between two grey thumbnails. */
  static difference(a: Uint8Array, b: Uint8Array): number {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    return sum / (a.length * 255);
  }

  static async thumbnail(image: ImageInput): Promise<Uint8Array> {
    const data = await sharpImage(image).greyscale().resize(WIDTH, HEIGHT, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  /** True when the frame differs enough from the last one let through, or the scene has been still too long. */
  async shouldClassify(image: ImageInput, now = Date.now()): Promise<boolean> {
    const thumb = await MotionGate.thumbnail(image);
    const moved = this.last === null || MotionGate.difference(thumb, this.last) >= this.threshold;
    if (!moved && now - this.lastPassAt < this.minIntervalMs) return false;
    this.last = thumb;
    this.lastPassAt = now;
    return true;
  }
}
