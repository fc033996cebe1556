/** One captured image, as the camera gave it (JPEG or PNG bytes). */
export interface Frame {
  data: Buffer;
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
