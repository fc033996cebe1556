import { resolve } from 'node:path';
import { redactSecrets } from '../logging/redaction.js';

/** The forms `run --camera` takes, for its help and its errors. */
export const CAMERA_SPECS = 'sim:DIR, sim-stream:DIR, rpicam, rpicam:yuv420, v4l2:/dev/videoN, rtsp://..., http://..., usb, libcamera';

export class CameraSpecError extends Error {}

/**
 * A camera named on the command line, as the part of the configuration it stands for:
 * `sim:DIR` (a folder, relative to the working directory; `sim-stream:DIR` serves it as a
 * stream at camera.fps), `rpicam` or `rpicam:yuv420`,
 * `v4l2:/dev/videoN`, an rtsp:// or http(s):// URL, or `usb` and `libcamera` (the
 * per-frame fallbacks with their configured options). Values are checked where the
 * configuration is (the schema, then the camera's own validation); this only tells the
 * forms apart.
 */
export function cameraFromSpec(spec: string): Record<string, unknown> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? null : spec.slice(colon + 1);
  switch (kind.toLowerCase()) {
    case 'sim':
    case 'sim-stream':
      if (!rest) throw new CameraSpecError(`--camera ${kind}:DIR needs the folder of images, e.g. ${kind}:samples`);
      return { type: 'sim', sim: { images: resolve(rest), stream: kind === 'sim-stream' } };
    case 'rpicam':
      if (rest === null) return { type: 'rpicam' };
      if (rest === 'mjpeg' || rest === 'yuv420') return { type: 'rpicam', rpicam: { codec: rest } };
      throw new CameraSpecError(`--camera ${spec}: rpicam takes mjpeg or yuv420 after the colon, e.g. rpicam:yuv420`);
    case 'v4l2':
      if (!rest) throw new CameraSpecError('--camera v4l2:DEVICE needs the device, e.g. v4l2:/dev/video0');
      return { type: 'v4l2', v4l2: { device: rest } };
    case 'rtsp':
    case 'rtsps':
      return { type: 'rtsp', rtsp: { url: spec } };
    case 'http':
    case 'https':
      return { type: 'http', http: { url: spec } };
    case 'usb':
    case 'libcamera':
      if (rest === null) return { type: kind };
      break;
  }
  throw new CameraSpecError(`--camera ${redactSecrets(JSON.stringify(spec))} is not a camera; use one of ${CAMERA_SPECS}`);
}
