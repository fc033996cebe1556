/**
 * Splits a stream of raw video frames of one fixed size (ffmpeg's rawvideo, rpicam-vid's
 * yuv420) into frames. Raw video has no markers to resynchronise on: a frame is exactly
 * frameBytes, and a stream that lost bytes stays misaligned, which is why the sources that
 * write raw frames are local pipes that lose nothing, and a restart begins a new splitter.
 */
export class RawSplitter {
  frames = 0;
  private frame: Buffer | null = null;
  private filled = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`a raw frame must be a positive number of bytes, not ${frameBytes}`);
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const rest = chunk.length - at;
      // A whole frame inside the chunk is passed on without a copy.
      if (this.filled === 0 && rest >= this.frameBytes) {
        this.deliver(chunk.subarray(at, at + this.frameBytes));
        at += this.frameBytes;
        continue;
      }
      this.frame ??= Buffer.allocUnsafe(this.frameBytes);
      const n = Math.min(rest, this.frameBytes - this.filled);
      chunk.copy(this.frame, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled === this.frameBytes) {
        const frame = this.frame;
        this.frame = null;
        this.filled = 0;
        this.deliver(frame);
      }
    }
  }

  private deliver(frame: Buffer): void {
    this.frames++;
    this.onFrame(frame);
  }
}
