import { configPath } from '../config/load.js';
import type { AgentContext } from '../core/context.js';
import { CameraError, type Camera } from './camera.js';
import { LibcameraCamera } from './libcamera-camera.js';
import { SimCamera } from './sim-camera.js';
import { UsbCamera } from './usb-camera.js';

/** What to do when no camera is configured: the same words for run and doctor. */
export const NO_CAMERA =
  'camera.type: no camera is configured; set camera.type to usb (a webcam), libcamera (the Pi camera) or sim ' +
  '(a folder of images, camera.sim.images), or run with --simulate';

/**
 * The camera config.camera.type names. Opens nothing: a camera only touches its device
 * when asked for a frame. Throws a CameraError naming the key when an option is invalid.
 */
export function createCamera(ctx: AgentContext): Camera {
  const camera = ctx.config.camera;
  const { captureTimeoutSeconds, width, height } = camera;
  switch (camera.type) {
    case 'sim':
      return new SimCamera(configPath(camera.sim.images));
    case 'usb':
      return new UsbCamera({ ...camera.usb, width, height, captureTimeoutSeconds });
    case 'libcamera':
      return new LibcameraCamera({ ...camera.libcamera, width, height, captureTimeoutSeconds });
    case null:
      throw new CameraError(NO_CAMERA);
    default:
      throw new CameraError(`camera.type: ${JSON.stringify(camera.type)} is not one of "sim", "usb", "libcamera"`);
  }
}
