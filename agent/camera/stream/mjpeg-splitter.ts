/** What a splitter threw away, for telemetry and the log: nothing is dropped silently. */
export interface SplitStats {
  frames: number;
  /** Bytes outside any frame (garbage, multipart headers) and bytes of frames given up. */
  skippedBytes: number;
  /** Frames begun but given up: broken marker structure, or longer than the cap. */
  skippedFrames: number;
}

const SOI = Buffer.from([0xff, 0xd8, 0xff]);
const EOI = 0xd9;
const SOS = 0xda;

const enum State {
  Seek,
  Segments,
  Entropy,
}

/** Markers that stand alone, with no length after them: TEM and RST0-7. */
const standalone = (marker: number): boolean => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

/**
 * Splits a byte stream of concatenated JPEGs (ffmpeg's and rpicam-vid's `mjpeg`, the body
 * of an HTTP multipart/x-mixed-replace stream) into single JPEGs.
 *
 * It follows the JPEG's marker structure instead of searching for the next FFD9: the
 * segments before the scan are skipped by their length, so an EXIF thumbnail (a whole
 * JPEG inside APP1, with its own SOI and EOI) does not end the frame early, and only in
 * entropy-coded data, where a 0xFF byte is always stuffed or a marker, does FFD9 mean the
 * end. Anything between frames is skipped and counted. A frame whose structure breaks, or
 * that grows past maxFrameBytes, is given up and counted, and the search for the next
 * start of image resumes just after its start, so one bad frame never loses the stream.
 */
export class MjpegSplitter {
  readonly stats: SplitStats = { frames: 0, skippedBytes: 0, skippedFrames: 0 };
  private buf: Buffer = Buffer.alloc(0);
  private state = State.Seek;
  /** Start of the frame being read, in buf. */
  private start = 0;
  /** Where reading resumes, in buf. */
  private pos = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (jpeg: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.state !== State.Seek && this.pos - this.start > this.maxFrameBytes) {
        this.broken();
        continue;
      }
      const more = this.state === State.Seek ? this.seek() : this.state === State.Segments ? this.segments() : this.entropy();
      if (!more) break;
    }
    // Keep only what can still be part of a frame.
    const keep = this.state === State.Seek ? this.pos : this.start;
    if (keep > 0) {
      this.buf = this.buf.subarray(keep);
      this.pos -= keep;
      this.start -= keep;
    }
  }

  private seek(): boolean {
    const at = this.buf.indexOf(SOI, this.pos);
    if (at < 0) {
      // The last bytes may be the beginning of a start of image split across chunks.
      const keep = Math.max(this.pos, this.buf.length - (SOI.length - 1));
      this.stats.skippedBytes += keep - this.pos;
      this.pos = keep;
      return false;
    }
    this.stats.skippedBytes += at - this.pos;
    this.start = at;
    this.pos = at + 2;
    this.state = State.Segments;
    return true;
  }

  private segments(): boolean {
    const { buf } = this;
    // Fill bytes: any number of 0xFF may precede a marker.
    while (this.pos + 1 < buf.length && buf[this.pos] === 0xff && buf[this.pos + 1] === 0xff) this.pos++;
    if (this.pos + 2 > buf.length) return false;
    if (buf[this.pos] !== 0xff) return this.broken();
    const marker = buf[this.pos + 1];
    if (marker === EOI) return this.emit(this.pos + 2);
    if (standalone(marker)) {
      this.pos += 2;
      return true;
    }
    if (marker === 0x00 || marker === 0xd8) return this.broken();
    if (this.pos + 4 > buf.length) return false;
    const length = buf.readUInt16BE(this.pos + 2);
    if (length < 2) return this.broken();
    this.pos += 2 + length;
    if (marker === SOS) this.state = State.Entropy;
    return true;
  }

  private entropy(): boolean {
    const { buf } = this;
    for (;;) {
      const at = buf.indexOf(0xff, this.pos);
      if (at < 0 || at + 1 >= buf.length) {
        this.pos = at < 0 ? buf.length : at;
        return false;
      }
      const next = buf[at + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        this.pos = at + 2;
        continue;
      }
      if (next === 0xff) {
        this.pos = at + 1;
        continue;
      }
      if (next === EOI) return this.emit(at + 2);
      // Another table or scan (progressive JPEG): back to reading segments.
      this.pos = at;
      this.state = State.Segments;
      return true;
    }
  }

  private emit(end: number): boolean {
    const frame = this.buf.subarray(this.start, end);
    this.state = State.Seek;
    this.pos = end;
    if (frame.length > this.maxFrameBytes) {
      this.stats.skippedFrames++;
      this.stats.skippedBytes += frame.length;
    } else {
      this.stats.frames++;
      this.onFrame(frame);
    }
    return true;
  }

  /**
   * The frame's structure is wrong, or it grew past the cap: give it up and look for a start
   * of image after its own (garbage can hide the real start inside a false one).
   */
  private broken(): boolean {
    this.stats.skippedFrames++;
    this.stats.skippedBytes += 2;
    this.state = State.Seek;
    this.pos = this.start + 2;
    return true;
  }
}
