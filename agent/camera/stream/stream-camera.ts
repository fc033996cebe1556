import type { Logger } from 'pino';
import type { RunStats } from '../../telemetry/run-stats.js';
import { CameraError, type Camera, type Frame, type RawPixels } from '../camera.js';

/** What a stream hands over: one frame's bytes, and its layout when they are raw pixels. */
export interface StreamFrame {
  data: Buffer;
  source: string;
  raw?: RawPixels;
}

/** A running stream: a capture program, or the simulated camera's timer. */
export interface OpenStream {
  stop(): Promise<void>;
}

/**
 * Starts a stream that calls `frame` for each frame it reads and `ended`, once, if it ends
 * by itself (the program exited, the server hung up). Throws a CameraError when it cannot
 * start at all (no such program).
 */
export type StreamOpener = (frame: (f: StreamFrame) => void, ended: (reason: string) => void) => OpenStream;

export interface StreamCameraParts {
  log: Logger;
  stats: RunStats;
}

interface Waiting {
  resolve(frame: Frame): void;
  reject(err: CameraError): void;
}

/**
 * A camera that reads a continuous stream and hands out its newest frame. The stream opens
 * at the first capture() and runs until close(); capture() resolves with the newest frame
 * not yet handed out, or waits for the next one. A frame that arrives while the last one
 * is still waiting to be taken (inference is busy) replaces it before anything decodes it,
 * and is counted in stats.framesDropped.
 *
 * Supervision is SupervisedCamera's, as for the per-frame cameras: when the stream ends by
 * itself, the waiting capture (or the next one) fails with the reason, and the capture
 * after that, which SupervisedCamera makes only after its backoff, opens it again; a
 * stream that stalls leaves capture() waiting past camera.captureTimeoutSeconds, and
 * SupervisedCamera closes this camera (which stops the program) and creates another.
 */
export class StreamCamera implements Camera {
  private stream: OpenStream | null = null;
  private newest: Frame | null = null;
  private waiting: Waiting[] = [];
  /** Why the stream ended, until a capture has reported it. */
  private endedWith: string | null = null;
  private opened = 0;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly open: StreamOpener,
    private readonly parts: StreamCameraParts,
  ) {}

  capture(): Promise<Frame> {
    if (this.closed) return Promise.reject(new CameraError(`${this.name}: the camera is closed`));
    if (this.endedWith !== null) {
      const reason = this.endedWith;
      this.endedWith = null;
      return Promise.reject(new CameraError(reason));
    }
    const ready = this.newest;
    if (ready) {
      this.newest = null;
      return Promise.resolve(ready);
    }
    if (!this.stream) {
      try {
        this.start();
      } catch (err) {
        return Promise.reject(err instanceof CameraError ? err : new CameraError(`${this.name}: ${(err as Error).message}`, { cause: err }));
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fail(`${this.name}: the camera was closed`);
    const stream = this.stream;
    this.stream = null;
    await stream?.stop();
  }

  private start(): void {
    if (this.opened > 0) this.parts.stats.stream.restarts++;
    this.opened++;
    const stream = this.open(
      (f) => {
        if (this.stream === stream) this.received(f);
      },
      (reason) => {
        if (this.stream !== stream) return;
        this.stream = null;
        this.parts.log.warn({ camera: this.name, reason }, 'the camera stream ended');
        if (this.waiting.length > 0) this.fail(reason);
        else this.endedWith = reason;
      },
    );
    this.stream = stream;
    this.parts.log.info({ camera: this.name }, 'camera stream started');
  }

  private received({ data, source, raw }: StreamFrame): void {
    const { stats } = this.parts;
    stats.stream.recordFrame();
    // The time the frame reached the agent: the capture itself happened in the camera.
    const frame: Frame = { data, source, capturedAt: Date.now(), captureMs: 0, ...(raw ? { raw } : {}) };
    const waiting = this.waiting;
    if (waiting.length > 0) {
      this.waiting = [];
      for (const w of waiting) w.resolve(frame);
      return;
    }
    if (this.newest) stats.framesDropped++;
    this.newest = frame;
  }

  private fail(reason: string): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(new CameraError(reason));
  }
}
