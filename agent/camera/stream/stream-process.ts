import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { stderrSummary } from '../capture-process.js';

/** How long a stopping program has to exit after SIGTERM before its group is killed. */
const STOP_GRACE_MS = 1000;
/** stderr lines logged per window; the rest are counted and the count logged with the next. */
const STDERR_LINES_PER_WINDOW = 5;
const STDERR_WINDOW_MS = 60_000;
/** stderr kept for the reason given when the program exits. */
const STDERR_TAIL_BYTES = 8 * 1024;

export interface StreamProgram {
  /** Program and arguments, run without a shell. */
  file: string;
  args: readonly string[];
  /** Names the program and its source in messages, with no credentials in it. */
  label: string;
}

/**
 * Logs a program's stderr a few lines at a time: ffmpeg and rpicam-vid can print a line per
 * frame about a damaged stream, which must not flood the log, but the first lines of each
 * burst (which say what is wrong) are kept, and the lines in between are counted.
 */
class StderrLog {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = 0;
  private partial = '';
  tail = '';

  constructor(private readonly log: Logger, private readonly label: string) {}

  write(text: string, now = Date.now()): void {
    this.tail = (this.tail + text).slice(-STDERR_TAIL_BYTES);
    const lines = (this.partial + text).split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      if (now - this.windowStart >= STDERR_WINDOW_MS) {
        this.windowStart = now;
        this.logged = 0;
      }
      if (this.logged >= STDERR_LINES_PER_WINDOW) {
        this.suppressed++;
        continue;
      }
      this.logged++;
      const notLogged = this.suppressed;
      this.suppressed = 0;
      this.log.info({ program: this.label, notLoggedSinceLast: notLogged }, trimmed.length > 300 ? `${trimmed.slice(0, 297)}...` : trimmed);
    }
  }
}

/**
 * One long-running capture program whose stdout is a video stream. It runs in its own
 * process group: stop() and an exit of the program itself both kill the whole group, so
 * that nothing the program started (a wrapper script's ffmpeg, a helper) outlives it and
 * keeps the camera or the connection open.
 */
export class StreamProcess {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly stderr: StderrLog;
  private readonly closed: Promise<void>;
  private exited = false;
  private stopRequested = false;

  constructor(
    private readonly program: StreamProgram,
    log: Logger,
    onData: (chunk: Buffer) => void,
    /** Called once, with why the program ended, unless stop() ended it. */
    onExit: (reason: string) => void,
  ) {
    this.stderr = new StderrLog(log, program.label);
    this.child = spawn(program.file, [...program.args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let spawnError: string | null = null;
    this.closed = new Promise((resolve) => {
      this.child.on('error', (err: NodeJS.ErrnoException) => {
        spawnError = err.code === 'ENOENT' ? `${program.file} is not installed (not found on PATH)` : `${program.file} could not be started: ${err.message}`;
        // A program that never started emits no 'close' of its own.
        if (this.child.pid === undefined) finish(null, null);
      });
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        this.killGroup('SIGKILL');
        resolve();
        if (this.stopRequested) return;
        const how = signal ? `killed by ${signal}` : `exit ${code}`;
        onExit(spawnError ?? `${program.label} ended (${how}): ${stderrSummary(this.stderr.tail)}`);
      };
      // What the program started may hold its stdout open after it exits: 'close' waits
      // for that, so the group goes at 'exit'.
      this.child.on('exit', () => this.killGroup('SIGKILL'));
      this.child.on('close', finish);
    });
    this.child.stdout.on('data', onData);
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => this.stderr.write(text));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends the program and its group: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.exited) return;
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    this.killGroup('SIGTERM');
    const timer = setTimeout(() => this.killGroup('SIGKILL'), STOP_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }

  private killGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}
