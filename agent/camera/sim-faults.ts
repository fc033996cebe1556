import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CameraError } from './camera.js';

/**
 * Faults the simulated camera can be told to show, by a file named .faults in its image
 * folder. The file is the state of the simulated device, read before every capture, so a
 * test or a demo changes it while the agent runs and the fault outlives a camera restart,
 * as a real device's would:
 *
 *   error    every capture fails
 *   stall    every capture hangs until the camera is closed (a hung driver)
 *   corrupt  every frame is the image's first half: a truncated JPEG/PNG
 *
 * The first word of the first line that is not blank or a # comment counts; no file, or
 * no such line, means no fault. A device that disappears is the folder renamed away.
 */
const FAULT_KINDS = ['error', 'stall', 'corrupt'] as const;
export type SimFault = (typeof FAULT_KINDS)[number];
export const FAULTS_FILE = '.faults';

export async function readFault(dir: string): Promise<SimFault | null> {
  const file = join(dir, FAULTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CameraError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined) return null;
  const word = line.split(/\s+/)[0];
  if (!(FAULT_KINDS as readonly string[]).includes(word)) {
    throw new CameraError(`${file}: unknown fault ${JSON.stringify(word)} (expected ${FAULT_KINDS.join(', ')})`);
  }
  return word as SimFault;
}
