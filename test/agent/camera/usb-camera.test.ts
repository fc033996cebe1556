// The USB camera against a fake fswebcam on PATH, run as a real child process: the command
// line, the JPEG from stdout, each failure the program can show, the timeout kill, close,
// and a device that disappears and returns under the supervisor.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCamera } from '../../../agent/camera/factory.js';
import { SupervisedCamera } from '../../../agent/camera/supervisor.js';
import { UsbCamera, type UsbCameraOptions } from '../../../agent/camera/usb-camera.js';
import type { AgentEventMap } from '../../../agent/core/events.js';
import { imagePath } from '../../support/paths.js';
import { captureFailure as failure, processGone, useFakeCameras } from './fake-camera.js';
import { testContext } from './test-context.js';

const fake = useFakeCameras();
const parrot = readFileSync(imagePath('parrot.jpg'));
const options = (o: Partial<UsbCameraOptions> = {}): UsbCameraOptions => ({
  device: '/dev/video0',
  width: 640,
  height: 480,
  skipFrames: 2,
  captureTimeoutSeconds: 5,
  ...o,
});

describe('UsbCamera (fake fswebcam)', () => {
  it('runs fswebcam with the validated options as plain arguments and returns its JPEG', async () => {
    const camera = new UsbCamera(options({ device: '/dev/video3', width: 320, height: 240 }));
    const frame = await camera.capture();
    expect(frame.data.equals(parrot)).toBe(true);
    expect(frame.source).toBe('/dev/video3');
    expect(camera.name).toBe('usb:/dev/video3');
    expect(fake.argvLog()).toEqual([['fswebcam', '-q', '-r', '320x240', '--jpeg', '90', '-d', '/dev/video3', '--no-banner', '--skip', '2', '-']]);
    await camera.close();
  });

  it('leaves --skip out when no frames are to be skipped', async () => {
    await new UsbCamera(options({ skipFrames: 0 })).capture();
    expect(fake.argvLog()[0]).not.toContain('--skip');
  });

  it('reports fswebcam failures with the device and the line of stderr that says why', async () => {
    const camera = new UsbCamera(options({ device: '/dev/video2' }));
    process.env.FAKE_CAMERA_MODE = 'fail';
    expect(await failure(camera)).toBe('fswebcam on /dev/video2 failed (exit 1): VIDIOC_DQBUF: Input/output error');
    process.env.FAKE_CAMERA_MODE = 'gone';
    expect(await failure(camera)).toBe('fswebcam on /dev/video2 failed (exit 255): stat: No such file or directory');
    process.env.FAKE_CAMERA_MODE = 'garbage';
    expect(await failure(camera)).toBe('fswebcam on /dev/video2 wrote 25 bytes that are not a JPEG image');
    process.env.FAKE_CAMERA_MODE = 'empty';
    expect(await failure(camera)).toBe('fswebcam on /dev/video2 wrote no image');
  });

  it('kills fswebcam and everything it started when a capture outlasts captureTimeoutSeconds', async () => {
    const camera = new UsbCamera(options({ captureTimeoutSeconds: 0.3 }));
    process.env.FAKE_CAMERA_MODE = 'stall';
    process.env.FAKE_CAMERA_STALL_PID = join(fake.scratch(), 'stall.pid');
    const started = Date.now();
    expect(await failure(camera)).toBe('fswebcam on /dev/video0 took longer than 0.3 s (camera.captureTimeoutSeconds); killed');
    expect(Date.now() - started).toBeLessThan(2000);
    const sleeper = Number(readFileSync(process.env.FAKE_CAMERA_STALL_PID, 'utf8'));
    await expect.poll(() => processGone(sleeper), { timeout: 2000 }).toBe(true);
  });

  it('kills a capture in flight when closed, and captures no more', async () => {
    const camera = new UsbCamera(options());
    process.env.FAKE_CAMERA_MODE = 'stall';
    process.env.FAKE_CAMERA_STALL_PID = join(fake.scratch(), 'stall.pid');
    const pending = camera.capture().then(() => null, (e: Error) => e.message);
    await expect.poll(() => existsSync(process.env.FAKE_CAMERA_STALL_PID!) && readFileSync(process.env.FAKE_CAMERA_STALL_PID!, 'utf8').endsWith('\n')).toBe(true);
    await camera.close();
    expect(await pending).toBe('fswebcam on /dev/video0: the camera was closed during a capture');
    expect(await failure(camera)).toBe('fswebcam on /dev/video0: the camera is closed');
    const sleeper = Number(readFileSync(process.env.FAKE_CAMERA_STALL_PID!, 'utf8'));
    await expect.poll(() => processGone(sleeper), { timeout: 2000 }).toBe(true);
  });

  it('says so when fswebcam is not installed', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(await failure(new UsbCamera(options()))).toBe('fswebcam on /dev/video0: fswebcam is not installed (not found on PATH)');
    } finally {
      process.env.PATH = path;
    }
  });

  it('refuses invalid options before anything runs, naming the key', () => {
    expect(() => new UsbCamera(options({ device: '/dev/sda' }))).toThrow('camera.usb.device: "/dev/sda" is not a video device (expected /dev/video<N>)');
    expect(() => new UsbCamera(options({ width: '640' }))).toThrow('camera.width: "640" is not an integer from 16 to 4096');
    expect(() => new UsbCamera(options({ height: 480.5 }))).toThrow('camera.height: 480.5 is not an integer from 16 to 4096');
    expect(() => new UsbCamera(options({ skipFrames: -1 }))).toThrow('camera.usb.skipFrames: -1 is not an integer from 0 to 100');
    expect(() => new UsbCamera(options({ captureTimeoutSeconds: Number.NaN }))).toThrow('camera.captureTimeoutSeconds: NaN is not a number from 0.1 to 600');
    expect(fake.argvLog()).toEqual([]);
  });

  it('under the supervisor: a device that disappears and returns degrades and recovers by itself', async () => {
    const modeFile = join(fake.scratch(), 'mode');
    process.env.FAKE_CAMERA_MODE_FILE = modeFile;
    const { ctx } = await testContext({ camera: { type: 'usb', usb: { device: '/dev/video1', skipFrames: 0 } } });
    const health: AgentEventMap['health'][0][] = [];
    ctx.events.on('health', (h) => health.push(h));
    const camera = new SupervisedCamera(ctx, createCamera);
    await camera.start();
    expect((await camera.capture())?.source).toBe('/dev/video1');
    writeFileSync(modeFile, 'gone\n');
    expect(await camera.capture()).toBeNull();
    expect(ctx.degraded.get('camera')).toBe('fswebcam on /dev/video1 failed (exit 255): stat: No such file or directory (1 failed capture in a row)');
    rmSync(modeFile);
    await new Promise((r) => setTimeout(r, 550));
    expect((await camera.capture())?.data.equals(parrot)).toBe(true);
    expect(health.map((h) => h.degraded)).toEqual([true, false]);
    await camera.stop();
  });
});
