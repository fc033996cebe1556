import { createRequire } from 'node:module';
import { CameraError, type Camera, type Frame } from './camera.js';
import { expectJpeg, runCaptureProcess } from './capture-process.js';
import { SIZE_MAX, SIZE_MIN, captureTimeoutMs, integer, videoDevice } from './options.js';

/** The node-webcam options this camera sets; everything else keeps node-webcam's default (off). */
interface FsWebcamOptions {
  width: number;
  height: number;
  quality: number;
  output: 'jpeg';
  device: string;
  skip: number;
  verbose: false;
}
type FsWebcamClass = new (options: FsWebcamOptions) => { generateSh(location: string): string };

const { FSWebcam } = createRequire(import.meta.url)('node-webcam') as { FSWebcam: FsWebcamClass };

/** fswebcam writes the image to stdout when the file name is "-". */
const STDOUT = '-';
const JPEG_QUALITY = 90;
/** What an argument of a validated command consists of: flags, numbers, WxH, /dev/videoN. */
const PLAIN_ARGUMENT = /^[A-Za-z0-9_./:=-]+$/;

export interface UsbCameraOptions {
  device: unknown;
  width: unknown;
  height: unknown;
  skipFrames: unknown;
  captureTimeoutSeconds: unknown;
}

/**
 * A USB webcam through fswebcam, with node-webcam's command line for it. node-webcam's own
 * capture() is not used: it runs the line through a shell with no timeout and no handle on
 * the child, and its in-memory mode decodes the image as UTF-8 text. Here every option is
 * validated, the line node-webcam builds is split into arguments that are checked to be
 * plain words, and fswebcam runs without a shell, under the capture timeout, writing the
 * JPEG to stdout (no temporary files on the SD card).
 */
export class UsbCamera implements Camera {
  readonly name: string;
  private readonly device: string;
  private readonly args: string[];
  private readonly program: string;
  private readonly timeoutMs: number;
  private readonly closing = new AbortController();

  constructor(options: UsbCameraOptions) {
    this.device = videoDevice(options.device, 'camera.usb.device');
    const line = new FSWebcam({
      width: integer(options.width, 'camera.width', SIZE_MIN, SIZE_MAX),
      height: integer(options.height, 'camera.height', SIZE_MIN, SIZE_MAX),
      quality: JPEG_QUALITY,
      output: 'jpeg',
      device: this.device,
      skip: integer(options.skipFrames, 'camera.usb.skipFrames', 0, 100),
      verbose: false,
    }).generateSh(STDOUT);
    const words = line.split(/\s+/).filter(Boolean);
    // Validation above makes this impossible today; it guards against a node-webcam
    // update adding an option (a title, a banner) that would not be a plain word.
    const unsafe = words.find((w) => !PLAIN_ARGUMENT.test(w));
    if (unsafe !== undefined) throw new CameraError(`node-webcam built an fswebcam argument that is not a plain word: ${JSON.stringify(unsafe)}`);
    [this.program, ...this.args] = words;
    this.timeoutMs = captureTimeoutMs(options.captureTimeoutSeconds);
    this.name = `usb:${this.device}`;
  }

  async capture(): Promise<Frame> {
    const started = performance.now();
    const label = `${this.program} on ${this.device}`;
    const stdout = await runCaptureProcess({ file: this.program, args: this.args, label, timeoutMs: this.timeoutMs, signal: this.closing.signal });
    return { data: expectJpeg(stdout, label), source: this.device, capturedAt: Date.now(), captureMs: performance.now() - started };
  }

  async close(): Promise<void> {
    this.closing.abort();
  }
}
