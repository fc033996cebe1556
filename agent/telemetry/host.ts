import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** CPU temperature in °C from the kernel's first thermal zone, or null where there is none. */
export async function cpuTemperature(): Promise<number | null> {
  try {
    const milli = Number(await readFile('/sys/class/thermal/thermal_zone0/temp', 'utf8'));
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch {
    return null;
  }
}

/** Throttling bits of `vcgencmd get_throttled` (Raspberry Pi firmware). */
const throttleFlags: [bit: number, meaning: string][] = [
  [0, 'under-voltage now'],
  [1, 'ARM frequency capped now'],
  [2, 'throttled now'],
  [3, 'soft temperature limit now'],
  [16, 'under-voltage has occurred'],
  [17, 'frequency capping has occurred'],
  [18, 'throttling has occurred'],
  [19, 'soft temperature limit has occurred'],
];

export function decodeThrottled(value: number): string[] {
  return throttleFlags.filter(([bit]) => (value >>> bit) & 1).map(([, meaning]) => meaning);
}

export interface Throttling {
  raw: string;
  flags: string[];
}

/** `vcgencmd get_throttled`, or null off a Raspberry Pi (no vcgencmd). */
export function throttling(): Promise<Throttling | null> {
  return new Promise((resolve) => {
    execFile('vcgencmd', ['get_throttled'], { timeout: 2000 }, (err, stdout) => {
      if (err) return resolve(null);
      const raw = /0x[0-9a-f]+/i.exec(stdout)?.[0] ?? '0x0';
      resolve({ raw, flags: decodeThrottled(Number.parseInt(raw, 16)) });
    });
  });
}
