// Property test: shell metacharacters, injected commands and values of the wrong type in
// every option of the USB and CSI cameras are refused by validation, so nothing reaches a
// command line; the capture programs (fakes on PATH) record every argument they get, and a
// canary file that any injected command would create never appears.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CameraError } from '../../../agent/camera/camera.js';
import { createCamera } from '../../../agent/camera/factory.js';
import type { AgentConfig } from '../../../agent/config/types.js';
import { useFakeCameras } from './fake-camera.js';
import { testContext } from './test-context.js';
import { mulberry32 as random } from '../../support/rng.js';

const fake = useFakeCameras();


const METACHARACTERS = [';', '|', '&', '$', '`', '(', ')', '<', '>', '\n', "'", '"', '*', '?', '{', '}', '[', ']', '~', '!', '#', '\\', ' ', '\t', '\r', '\0'];
const PREFIXES = ['', '/dev/video0', '640', '480', '2', '0', 'rpicam-still', 'libcamera-still', '180', '20000', '-', '--'];

/** A string that holds at least one metacharacter, often around a command that makes the canary. */
function payload(rnd: () => number, canary: string): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const injections = [
    `;touch ${canary}`, `$(touch ${canary})`, `\`touch ${canary}\``, `|touch ${canary}`, `&&touch ${canary}`,
    `\ntouch ${canary}`, `'$(touch ${canary})'`, `"; touch ${canary}; "`, ` >${canary}`, ` --output ${canary}`,
    `$IFS;touch$IFS${canary}`, `\${PATH:0:0}|touch ${canary}`,
  ];
  let s = pick(PREFIXES);
  const parts = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < parts; i++) s += rnd() < 0.5 ? pick(injections) : pick(METACHARACTERS);
  if (![...s].some((c) => METACHARACTERS.includes(c))) s += pick(METACHARACTERS);
  return rnd() < 0.3 ? `${s}${pick(PREFIXES)}` : s;
}

/** Values of the wrong shape for a number or a string option. */
function oddValue(rnd: () => number, canary: string): unknown {
  const text = `/dev/video0;touch ${canary}`;
  const odd: unknown[] = [
    Number.NaN, Number.POSITIVE_INFINITY, -1, 1e21, 640.5, '640', ['640'], [640], { valueOf: () => 640 },
    { toString: () => text }, [text], undefined, true, 0x7fffffff, Buffer.from(text),
  ];
  return odd[Math.floor(rnd() * odd.length)];
}

type Camera = AgentConfig['camera'];
interface Option {
  type: 'usb' | 'libcamera';
  /** The configuration key, as validation names it. */
  key: string;
  set: (c: Camera, v: unknown) => void;
}
/** Every option of the two cameras that run a program. */
const OPTIONS: Option[] = [
  { type: 'usb', key: 'camera.usb.device', set: (c, v) => (c.usb.device = v as string) },
  { type: 'usb', key: 'camera.usb.skipFrames', set: (c, v) => (c.usb.skipFrames = v as number) },
  { type: 'usb', key: 'camera.width', set: (c, v) => (c.width = v as number) },
  { type: 'usb', key: 'camera.height', set: (c, v) => (c.height = v as number) },
  { type: 'usb', key: 'camera.captureTimeoutSeconds', set: (c, v) => (c.captureTimeoutSeconds = v as number) },
  { type: 'libcamera', key: 'camera.libcamera.command', set: (c, v) => (c.libcamera.command = v as 'rpicam-still') },
  { type: 'libcamera', key: 'camera.libcamera.shutterUs', set: (c, v) => (c.libcamera.shutterUs = v as number) },
  { type: 'libcamera', key: 'camera.libcamera.rotation', set: (c, v) => (c.libcamera.rotation = v as 0) },
  { type: 'libcamera', key: 'camera.width', set: (c, v) => (c.width = v as number) },
  { type: 'libcamera', key: 'camera.height', set: (c, v) => (c.height = v as number) },
  { type: 'libcamera', key: 'camera.captureTimeoutSeconds', set: (c, v) => (c.captureTimeoutSeconds = v as number) },
];

const TRIALS_PER_OPTION = 150;
const PLAIN = /^[A-Za-z0-9_./:=-]*$/;

describe('camera options and the shell', () => {
  it('refuses every option value with shell metacharacters or of the wrong type; no injected command runs', async () => {
    const seed = Number(process.env.SHELL_PROPERTY_SEED ?? Date.now() % 2 ** 31);
    const rnd = random(seed);
    const canary = join(fake.scratch(), 'CANARY');
    const accepted: string[] = [];
    let refused = 0;
    const { ctx: base } = await testContext();
    for (const option of OPTIONS) {
      const label = `${option.type} ${option.key}`;
      for (let i = 0; i < TRIALS_PER_OPTION; i++) {
        // The configuration is mutated after loading, as a caller that skipped the schema would.
        const ctx = { ...base, config: structuredClone(base.config) };
        ctx.config.camera.type = option.type;
        const value = rnd() < 0.75 ? payload(rnd, canary) : oddValue(rnd, canary);
        option.set(ctx.config.camera, value);
        let camera;
        try {
          camera = createCamera(ctx);
        } catch (err) {
          expect(err, `seed ${seed}, ${label} = ${String(value)}`).toBeInstanceOf(CameraError);
          expect((err as Error).message.startsWith(`${option.key}: `), (err as Error).message).toBe(true);
          refused++;
          continue;
        }
        // Only a value that validation can accept gets here; it is captured with for real.
        accepted.push(`${label} = ${JSON.stringify(value)}`);
        await camera.capture().catch(() => {});
        await camera.close();
      }
    }
    expect(accepted, `seed ${seed}: values accepted`).toEqual([]);
    expect(refused).toBe(TRIALS_PER_OPTION * OPTIONS.length);
    expect(existsSync(canary), `seed ${seed}`).toBe(false);
    expect(fake.argvLog()).toEqual([]);
  });

  it('gives the capture programs plain words only, for valid options at their limits', async () => {
    const canary = join(fake.scratch(), 'CANARY');
    const configs: Array<Record<string, unknown>> = [
      { type: 'usb', width: 16, height: 4096, usb: { device: '/dev/video999', skipFrames: 100 } },
      { type: 'usb', width: 4096, height: 16, usb: { device: '/dev/video0', skipFrames: 0 } },
      { type: 'libcamera', width: 4096, height: 4096, libcamera: { command: 'libcamera-still', shutterUs: 10_000_000, rotation: 180 } },
      { type: 'libcamera', width: 16, height: 16, libcamera: { command: 'rpicam-still', shutterUs: 1, rotation: 0 } },
    ];
    for (const camera of configs) {
      const { ctx } = await testContext({ camera });
      const cam = createCamera(ctx);
      expect((await cam.capture()).data[0]).toBe(0xff);
      await cam.close();
    }
    const calls = fake.argvLog();
    expect(calls.map((c) => c[0])).toEqual(['fswebcam', 'fswebcam', 'libcamera-still', 'rpicam-still']);
    for (const arg of calls.flat()) expect(arg).toMatch(PLAIN);
    expect(existsSync(canary)).toBe(false);
  });
});
