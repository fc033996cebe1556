import { SimCamera } from '../sim-camera.js';
import type { StreamOpener } from './stream-camera.js';

/**
 * The simulated camera's folder served as a stream at `fps`, as a real camera streams
 * whether or not anyone keeps up: the images in sorted order, looping, with the folder's
 * .faults (sim-faults.ts) applying to each frame. A frame that fails ends the stream with
 * the reason, as a camera program that exits would.
 */
export function simStream(dir: string, fps: number): StreamOpener {
  return (frame, ended) => {
    const camera = new SimCamera(dir);
    let busy = false;
    const timer = setInterval(() => {
      // A frame still being read (a slow disk, a stalled fault) is not overtaken.
      if (busy) return;
      busy = true;
      camera.capture().then(
        ({ data, source }) => frame({ data, source }),
        (err: Error) => {
          clearInterval(timer);
          ended(err.message);
        },
      ).finally(() => (busy = false));
    }, 1000 / fps);
    return {
      stop: async () => {
        clearInterval(timer);
        await camera.close();
      },
    };
  };
}
