// The CSI camera against a fake rpicam-still/libcamera-still on PATH, run as a real child
// process: the argument array, the JPEG from stdout, short errors from a chatty stderr, the
// timeout kill and option validation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCamera } from '../../../agent/camera/factory.js';
import { LibcameraCamera, type LibcameraCameraOptions } from '../../../agent/camera/libcamera-camera.js';
import { imagePath } from '../../support/paths.js';
import { captureFailure as failure, processGone, useFakeCameras } from './fake-camera.js';
import { testContext } from './test-context.js';

const fake = useFakeCameras();
const parrot = readFileSync(imagePath('parrot.jpg'));
const options = (o: Partial<LibcameraCameraOptions> = {}): LibcameraCameraOptions => ({
  command: 'rpicam-still',
  width: 640,
  height: 480,
  shutterUs: null,
  rotation: 0,
  captureTimeoutSeconds: 5,
  ...o,
});

describe('LibcameraCamera (fake rpicam-still)', () => {
  it('runs rpicam-still with an argument array, JPEG to stdout, and returns the image', async () => {
    const camera = new LibcameraCamera(options());
    const frame = await camera.capture();
    expect(frame.data.equals(parrot)).toBe(true);
    expect(frame.source).toBe('rpicam-still');
    expect(fake.argvLog()).toEqual([
      ['rpicam-still', '--nopreview', '--width', '640', '--height', '480', '--timeout', '500', '--encoding', 'jpg', '--output', '-'],
    ]);
  });

  it('passes a fixed shutter and 180 degree rotation, and runs libcamera-still when configured', async () => {
    const { ctx } = await testContext({
      camera: { type: 'libcamera', width: 1280, height: 720, libcamera: { command: 'libcamera-still', shutterUs: 20000, rotation: 180 } },
    });
    const camera = createCamera(ctx);
    expect(camera.name).toBe('libcamera:libcamera-still');
    await camera.capture();
    expect(fake.argvLog()).toEqual([
      ['libcamera-still', '--nopreview', '--width', '1280', '--height', '720', '--timeout', '500', '--encoding', 'jpg', '--shutter', '20000', '--rotation', '180', '--output', '-'],
    ]);
  });

  it('reports the error line of a chatty stderr, not the chatter', async () => {
    process.env.FAKE_CAMERA_MODE = 'gone';
    expect(await failure(new LibcameraCamera(options()))).toBe('rpicam-still failed (exit 255): ERROR: *** no cameras available ***');
    process.env.FAKE_CAMERA_MODE = 'garbage';
    expect(await failure(new LibcameraCamera(options()))).toBe('rpicam-still wrote 25 bytes that are not a JPEG image');
  });

  it('kills rpicam-still and its children when a capture outlasts captureTimeoutSeconds', async () => {
    process.env.FAKE_CAMERA_MODE = 'stall';
    process.env.FAKE_CAMERA_STALL_PID = join(fake.scratch(), 'stall.pid');
    const started = Date.now();
    expect(await failure(new LibcameraCamera(options({ captureTimeoutSeconds: 0.3 })))).toBe(
      'rpicam-still took longer than 0.3 s (camera.captureTimeoutSeconds); killed',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    const sleeper = Number(readFileSync(process.env.FAKE_CAMERA_STALL_PID, 'utf8'));
    await expect.poll(() => processGone(sleeper), { timeout: 2000 }).toBe(true);
  });

  it('refuses invalid options before anything runs, naming the key', () => {
    expect(() => new LibcameraCamera(options({ command: 'sh' }))).toThrow('camera.libcamera.command: "sh" is not one of "rpicam-still", "libcamera-still"');
    expect(() => new LibcameraCamera(options({ width: '--post-process-file=/tmp/x.json' }))).toThrow(/^camera\.width: "--post-process-file/);
    expect(() => new LibcameraCamera(options({ shutterUs: 0 }))).toThrow('camera.libcamera.shutterUs: 0 is not an integer from 1 to 10000000');
    expect(() => new LibcameraCamera(options({ rotation: 90 }))).toThrow('camera.libcamera.rotation: 90 is not one of 0, 180');
    expect(fake.argvLog()).toEqual([]);
  });
});
