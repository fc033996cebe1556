import { CameraError } from './camera.js';

// Camera options end up on a capture program's command line (node-webcam even builds a
// shell string for fswebcam), so each one is checked here again, whatever validated the
// configuration before: values can also come from MQTT commands or other callers. A
// number is accepted only as a finite number of the right kind; a string never stands in
// for one, which is what keeps "640;reboot" and "--post-process-file=..." off the line.

/** A value for an error message: quoted, control characters escaped, cut short. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const DEVICE = /^\/dev\/video[0-9]{1,3}$/;

/** A V4L2 device node, /dev/video<N>. */
export function videoDevice(value: unknown, key: string): string {
  if (typeof value !== 'string' || !DEVICE.test(value)) {
    throw new CameraError(`${key}: ${shown(value)} is not a video device (expected /dev/video<N>)`);
  }
  return value;
}

/** An integer within [min, max]. */
export function integer(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CameraError(`${key}: ${shown(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

/** A finite number within [min, max]. */
export function number(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new CameraError(`${key}: ${shown(value)} is not a number from ${min} to ${max}`);
  }
  return value;
}

/** One of a fixed set of values. */
export function oneOf<T extends string | number>(value: unknown, key: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new CameraError(`${key}: ${shown(value)} is not one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return value as T;
}

/** camera.captureTimeoutSeconds in milliseconds. */
export function captureTimeoutMs(seconds: unknown): number {
  return Math.round(number(seconds, 'camera.captureTimeoutSeconds', 0.1, 600) * 1000);
}

export const SIZE_MIN = 16;
export const SIZE_MAX = 4096;
