import type { Camera, Frame } from './camera.js';
import { expectJpeg, runCaptureProcess } from './capture-process.js';
import { SIZE_MAX, SIZE_MIN, captureTimeoutMs, integer, oneOf } from './options.js';

const COMMANDS = ['rpicam-still', 'libcamera-still'] as const;
/**
 * How long the camera runs before the still is taken (rpicam-still's --timeout): long
 * enough for exposure and white balance to settle, short enough for a frame a second.
 */
const SETTLE_MS = 500;

export interface LibcameraCameraOptions {
  command: unknown;
  width: unknown;
  height: unknown;
  shutterUs: unknown;
  rotation: unknown;
  captureTimeoutSeconds: unknown;
}

/**
 * A CSI camera through rpicam-still (libcamera-still on older Raspberry Pi OS), one
 * process per still, the JPEG read from stdout. There is no shell, but every value is still
 * validated: an argument such as "--post-process-file=..." in place of a width would be
 * an option injection.
 */
export class LibcameraCamera implements Camera {
  readonly name: string;
  private readonly command: string;
  private readonly args: string[];
  private readonly timeoutMs: number;
  private readonly closing = new AbortController();

  constructor(options: LibcameraCameraOptions) {
    this.command = oneOf(options.command, 'camera.libcamera.command', COMMANDS);
    const width = integer(options.width, 'camera.width', SIZE_MIN, SIZE_MAX);
    const height = integer(options.height, 'camera.height', SIZE_MIN, SIZE_MAX);
    const shutterUs = options.shutterUs === null ? null : integer(options.shutterUs, 'camera.libcamera.shutterUs', 1, 10_000_000);
    const rotation = oneOf(options.rotation, 'camera.libcamera.rotation', [0, 180]);
    this.args = [
      '--nopreview',
      '--width', String(width),
      '--height', String(height),
      '--timeout', String(SETTLE_MS),
      '--encoding', 'jpg',
      ...(shutterUs === null ? [] : ['--shutter', String(shutterUs)]),
      ...(rotation === 0 ? [] : ['--rotation', String(rotation)]),
      '--output', '-',
    ];
    this.timeoutMs = captureTimeoutMs(options.captureTimeoutSeconds);
    this.name = `libcamera:${this.command}`;
  }

  async capture(): Promise<Frame> {
    const started = performance.now();
    const stdout = await runCaptureProcess({ file: this.command, args: this.args, label: this.command, timeoutMs: this.timeoutMs, signal: this.closing.signal });
    return { data: expectJpeg(stdout, this.command), source: this.command, capturedAt: Date.now(), captureMs: performance.now() - started };
  }

  async close(): Promise<void> {
    this.closing.abort();
  }
}
