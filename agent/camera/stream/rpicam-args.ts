import type { RawPixels } from '../camera.js';
import { SIZE_MAX, SIZE_MIN, integer, number, oneOf } from '../options.js';

export const RPICAM_PROGRAMS = ['rpicam-vid', 'libcamera-vid'] as const;
export const RPICAM_CODECS = ['mjpeg', 'yuv420'] as const;

export interface RpicamOptions {
  command: unknown;
  codec: unknown;
  quality: unknown;
  rotation: unknown;
  width: unknown;
  height: unknown;
  fps: unknown;
}

export interface RpicamCommand {
  /** The configured program first, then its other name. */
  programs: string[];
  args: string[];
  /** Set for yuv420: the size of each raw frame, which may differ from the one asked for. */
  raw: RawPixels | null;
}

/**
 * The yuv420 frame width: camera.width rounded up to a multiple of 128.
 *
 * rpicam-vid writes each yuv420 frame as the ISP's buffer, rows padded to the ISP's stride,
 * and writes nothing that says what the stride is. Rather than guess a stride (it differs
 * between the Pi 4's ISP and the Pi 5's, and a wrong guess shears every frame), the width
 * asked for is one that needs no padding: at a multiple of 128 the luma rows (width bytes)
 * and the chroma rows (width / 2 bytes) are whole multiples of 64 bytes, the widest row
 * alignment of the ISPs, so each frame is exactly width x height x 1.5 bytes and is read
 * by that exact size. The frame is then a little wider than asked (224 becomes 256), which
 * resizing to the model's input absorbs. The height only needs to be even (4:2:0).
 */
export function unpaddedYuvSize(width: number, height: number): { width: number; height: number } {
  return { width: Math.ceil(width / 128) * 128, height: Math.ceil(height / 2) * 2 };
}

/**
 * rpicam-vid's command line for a stream on stdout. Every option is one rpicam-vid
 * accepts (test/agent/camera/stream/rpicam-args.test.ts checks each against the
 * options of the real program): it rejects an unknown option, and a value can never
 * become an option because each one is validated as a number or a fixed word first.
 */
export function rpicamCommand(options: RpicamOptions): RpicamCommand {
  const command = oneOf(options.command, 'camera.rpicam.command', RPICAM_PROGRAMS);
  const codec = oneOf(options.codec, 'camera.rpicam.codec', RPICAM_CODECS);
  const rotation = oneOf(options.rotation, 'camera.rpicam.rotation', [0, 180]);
  const fps = number(options.fps, 'camera.fps', 0.1, 1000);
  let width = integer(options.width, 'camera.width', SIZE_MIN, SIZE_MAX);
  let height = integer(options.height, 'camera.height', SIZE_MIN, SIZE_MAX);
  let raw: RawPixels | null = null;
  if (codec === 'yuv420') {
    ({ width, height } = unpaddedYuvSize(width, height));
    raw = { format: 'yuv420', width, height };
  }
  const args = [
    '--timeout', '0',
    '--nopreview',
    '--codec', codec,
    '--width', String(width),
    '--height', String(height),
    '--framerate', String(fps),
    ...(codec === 'mjpeg' ? ['--quality', String(integer(options.quality, 'camera.rpicam.quality', 1, 100))] : []),
    ...(rotation === 0 ? [] : ['--rotation', String(rotation)]),
    // Each frame is written out as soon as it is encoded, not when a stdio buffer fills.
    '--flush',
    '--output', '-',
  ];
  return { programs: [command, ...RPICAM_PROGRAMS.filter((p) => p !== command)], args, raw };
}
