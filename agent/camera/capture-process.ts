import { spawn } from 'node:child_process';
import { CameraError } from './camera.js';

/** Largest image a capture program may write to stdout; a 4096x4096 JPEG is well below. */
const MAX_IMAGE_BYTES = 32 * 1024 * 1024;
/** stderr kept for error messages: capture programs log a lot, the cause is at the end. */
const MAX_STDERR_BYTES = 16 * 1024;

export interface CaptureRun {
  /** Program and arguments, run without a shell. */
  file: string;
  args: readonly string[];
  /** Names the program and device in error messages, e.g. "fswebcam on /dev/video0". */
  label: string;
  timeoutMs: number;
  /** Aborting kills the program (the camera is closing). */
  signal: AbortSignal;
}

/** The line of a capture program's stderr that says what went wrong, shortened. */
export function stderrSummary(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const line = [...lines].reverse().find((l) => /error|fail|cannot|unable|no such|not found|denied|busy/i.test(l)) ?? lines.at(-1);
  if (!line) return 'no message on stderr';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Runs a capture program and resolves with what it wrote to stdout. It runs in its own
 * process group so that a timeout or close kills it together with anything it started
 * (a wrapper script's children would otherwise hold stdout open and keep it "running").
 */
export function runCaptureProcess({ file, args, label, timeoutMs, signal }: CaptureRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new CameraError(`${label}: the camera is closed`));
      return;
    }
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let settled = false;

    const finish = (err: CameraError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err) {
        killGroup();
        child.stdout.destroy();
        child.stderr.destroy();
        reject(err);
      } else {
        resolve(Buffer.concat(chunks, bytes));
      }
    };
    const killGroup = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone between the check and the kill.
      }
    };
    const onAbort = (): void => finish(new CameraError(`${label}: the camera was closed during a capture`));
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => finish(new CameraError(`${label} took longer than ${timeoutMs / 1000} s (camera.captureTimeoutSeconds); killed`)),
      timeoutMs,
    );

    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_IMAGE_BYTES) finish(new CameraError(`${label} wrote more than ${MAX_IMAGE_BYTES >> 20} MB; killed`));
      else chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-MAX_STDERR_BYTES);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const cause = err.code === 'ENOENT' ? 'is not installed (not found on PATH)' : `could not be started: ${err.message}`;
      finish(new CameraError(`${label}: ${file} ${cause}`, { cause: err }));
    });
    child.on('close', (code, killedBy) => {
      if (code === 0) finish(null);
      else finish(new CameraError(`${label} failed (${killedBy ? `killed by ${killedBy}` : `exit ${code}`}): ${stderrSummary(stderr)}`));
    });
  });
}

/** Capture programs report some failures with exit 0 and no image; a frame must be a JPEG. */
export function expectJpeg(data: Buffer, what: string): Buffer {
  if (data.length === 0) throw new CameraError(`${what} wrote no image`);
  if (data[0] !== 0xff || data[1] !== 0xd8 || data[2] !== 0xff) {
    throw new CameraError(`${what} wrote ${data.length} bytes that are not a JPEG image`);
  }
  return data;
}
