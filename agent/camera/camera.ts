/** The layout of a raw frame's bytes: packed RGB, or planar YUV 4:2:0 (I420) with no row padding. */
export interface RawPixels {
  format: 'rgb24' | 'yuv420';
  width: number;
  height: number;
}

/** One captured image, as the camera gave it: JPEG or PNG bytes, or raw pixels described by `raw`. */
export interface Frame {
  data: Buffer;
  raw?: RawPixels;
  /** The camera's name for the frame: the file name for the simulated camera. */
  source: string;
  /** Epoch milliseconds when the capture finished. */
  capturedAt: number;
  /** How long the capture took. */
  captureMs: number;
}

/** A capture failed; the message says what and where (device, command, file). */
export class CameraError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CameraError';
  }
}

/**
 * A source of frames, captured on demand. capture() rejects with a CameraError on any
 * failure (never hangs past the configured timeout); close() releases the device.
 */
export interface Camera {
  readonly name: string;
  capture(): Promise<Frame>;
  close(): Promise<void>;
}
