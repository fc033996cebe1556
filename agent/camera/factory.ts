import { configPath } from '../config/load.js';
import type { AgentContext } from '../core/context.js';
import { CameraError, type Camera } from './camera.js';
import { LibcameraCamera } from './libcamera-camera.js';
import { SimCamera } from './sim-camera.js';
import { UsbCamera } from './usb-camera.js';
import { redactSecrets } from '../logging/redaction.js';
import { httpCommand, rtspCommand, v4l2Command, type FfmpegCommand } from './stream/ffmpeg-args.js';
import { programStream } from './stream/program-stream.js';
import { rpicamCommand } from './stream/rpicam-args.js';
import { StreamCamera } from './stream/stream-camera.js';
import { simStream } from './stream/sim-stream.js';
import { number } from './options.js';

const FFMPEG = ['ffmpeg'];

/** A camera that reads one long-running program's stdout. */
function streamCamera(ctx: AgentContext, name: string, programs: readonly string[], command: Pick<FfmpegCommand, 'args' | 'raw'>): Camera {
  const format = command.raw ? { kind: 'raw' as const, raw: command.raw } : { kind: 'mjpeg' as const, maxFrameBytes: ctx.config.camera.maxFrameKilobytes * 1024 };
  const parts = { log: ctx.log.child({ part: 'camera' }), stats: ctx.stats };
  return new StreamCamera(name, programStream({ programs, args: command.args, name, format }, parts), parts);
}

/** What to do when no camera is configured: the same words for run and doctor. */
export const NO_CAMERA =
  'camera.type: no camera is configured; set camera.type to rpicam (the Pi camera), v4l2 (a webcam), rtsp or http ' +
  '(an IP camera) or sim (a folder of images, camera.sim.images), or run with --camera or --simulate';

/**
 * The camera config.camera.type names. Opens nothing: a camera only touches its device
 * when asked for a frame. Throws a CameraError naming the key when an option is invalid.
 */
export function createCamera(ctx: AgentContext): Camera {
  const camera = ctx.config.camera;
  const { captureTimeoutSeconds, width, height, fps } = camera;
  switch (camera.type) {
    case 'rpicam': {
      const command = rpicamCommand({ ...camera.rpicam, width, height, fps });
      return streamCamera(ctx, `rpicam:${command.programs[0]}`, command.programs, command);
    }
    case 'v4l2':
      return streamCamera(ctx, `v4l2:${camera.v4l2.device}`, FFMPEG, v4l2Command({ ...camera.v4l2, width, height, fps }));
    case 'rtsp':
      return streamCamera(ctx, redactSecrets(String(camera.rtsp.url)), FFMPEG, rtspCommand({ ...camera.rtsp, width, height }));
    case 'http':
      return streamCamera(ctx, redactSecrets(String(camera.http.url)), FFMPEG, httpCommand({ ...camera.http, width, height }));
    case 'sim': {
      const dir = configPath(camera.sim.images);
      if (!camera.sim.stream) return new SimCamera(dir);
      const parts = { log: ctx.log.child({ part: 'camera' }), stats: ctx.stats };
      return new StreamCamera(`sim-stream:${dir}`, simStream(dir, number(fps, 'camera.fps', 0.01, 1000)), parts);
    }
    case 'usb':
      return new UsbCamera({ ...camera.usb, width, height, captureTimeoutSeconds });
    case 'libcamera':
      return new LibcameraCamera({ ...camera.libcamera, width, height, captureTimeoutSeconds });
    case null:
      throw new CameraError(NO_CAMERA);
    default:
      throw new CameraError(`camera.type: ${JSON.stringify(camera.type)} is not one of "sim", "rpicam", "v4l2", "rtsp", "http", "usb", "libcamera"`);
  }
}
