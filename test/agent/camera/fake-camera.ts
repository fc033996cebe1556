import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { CameraError, type Camera } from '../../../agent/camera/camera.js';
import { repoRoot } from '../../support/paths.js';

/** fswebcam, rpicam-still and libcamera-still stand-ins (test/fixtures/camera/bin/fake-camera). */
export const fakeBin = join(repoRoot, 'test/fixtures/camera/bin');

const FAKE_VARIABLES = ['FAKE_CAMERA_MODE', 'FAKE_CAMERA_MODE_FILE', 'FAKE_CAMERA_ARGV_LOG', 'FAKE_CAMERA_STALL_PID', 'FAKE_CAMERA_IMAGE'];

/**
 * Puts the fake capture programs first on PATH for this test file (each file runs in its
 * own process) and gives each test a scratch folder with the argument log set up.
 */
export function useFakeCameras(): { scratch: () => string; argvLog: () => string[][] } {
  const path = process.env.PATH;
  let dir = '';
  beforeAll(() => {
    process.env.PATH = `${fakeBin}:${path}`;
  });
  afterAll(() => {
    process.env.PATH = path;
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'edge-agent-fake-camera-'));
    for (const v of FAKE_VARIABLES) delete process.env[v];
    process.env.FAKE_CAMERA_ARGV_LOG = join(dir, 'argv');
  });
  afterEach(() => {
    for (const v of FAKE_VARIABLES) delete process.env[v];
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    scratch: () => dir,
    argvLog: () => {
      const file = join(dir, 'argv');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\0\n')
        .filter(Boolean)
        .map((call) => call.split('\0'));
    },
  };
}

/** Whether a process is gone (or a zombie nobody has reaped yet, which runs no more). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The message of the CameraError a capture fails with (the test fails if it succeeds or throws anything else). */
export async function captureFailure(camera: Camera): Promise<string> {
  const err = await camera.capture().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(CameraError);
  return (err as Error).message;
}
