import { reportHealth, type AgentContext } from '../core/context.js';
import type { Extension } from '../core/extension.js';
import { CameraError, type Camera, type Frame } from './camera.js';
import { createCamera } from './factory.js';
import { captureTimeoutMs, number } from './options.js';

/** Retry delays after consecutive failures: 0.5 s, 1 s, 2 s, ... up to 30 s. */
const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

const PART = 'camera';

/**
 * The camera as the agent uses it: the "camera" part of the controller and the pipeline's
 * frame source. capture() never rejects; it resolves null when there is no frame:
 *
 * - each capture is bounded by camera.captureTimeoutSeconds;
 * - after a failure, captures are skipped (null at once) for a delay that doubles with
 *   each consecutive failure, 0.5 s to 30 s; every failure counts in stats.captureErrors;
 * - the first failure marks the part degraded (ctx.degraded and a 'health' event), the
 *   next frame recovers it;
 * - the camera is closed and created anew through the factory before the next attempt
 *   when a capture hung (timed out without the camera ending it), when it could not be
 *   created, and when captures have kept failing for camera.watchdogSeconds (the
 *   watchdog; it counts from the first failure, so an idle camera in triggered mode is
 *   never restarted for being idle).
 *
 * Calls are served one at a time, in order, so two callers never drive one device at once.
 */
export class SupervisedCamera implements Extension {
  readonly name = PART;
  private camera: Camera | null = null;
  private running = false;
  private failures = 0;
  private retryAt = 0;
  /** When the current run of failures began, or the camera was last restarted in it. */
  private failingSince = 0;
  private hung = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;
  private readonly watchdogMs: number;

  constructor(
    private readonly ctx: AgentContext,
    private readonly create: (ctx: AgentContext) => Camera = createCamera,
  ) {
    this.timeoutMs = captureTimeoutMs(ctx.config.camera.captureTimeoutSeconds);
    this.watchdogMs = number(ctx.config.camera.watchdogSeconds, 'camera.watchdogSeconds', 1, 3600) * 1000;
  }

  /** Creates the camera; an invalid camera option fails start-up with a CameraError. */
  async start(): Promise<void> {
    this.camera = this.create(this.ctx);
    this.running = true;
    this.ctx.log.info({ camera: this.camera.name }, 'camera ready');
  }

  /** The next frame, or null while backing off, after a failure, or when stopped. */
  capture(): Promise<Frame | null> {
    const turn = this.queue.then(() => this.attempt());
    this.queue = turn;
    return turn;
  }

  /** Closes the camera, which ends a capture in flight, and waits for that capture to return. */
  async stop(): Promise<void> {
    this.running = false;
    const camera = this.camera;
    this.camera = null;
    await this.close(camera);
    await this.queue;
  }

  private async attempt(): Promise<Frame | null> {
    if (!this.running) return null;
    const now = Date.now();
    if (now < this.retryAt) return null;
    try {
      const camera = await this.current(now);
      const frame = await this.bounded(camera.capture(), camera);
      this.succeeded(camera);
      return frame;
    } catch (err) {
      if (this.running) this.failed(err);
      return null;
    }
  }

  /** The camera to capture from, created anew when the last one hung, failed or went quiet. */
  private async current(now: number): Promise<Camera> {
    const why =
      this.camera === null ? 'it could not be created'
      : this.hung ? `a capture hung for ${this.timeoutMs / 1000} s`
      : this.failures > 0 && now - this.failingSince >= this.watchdogMs ? `no frame for ${Math.round((now - this.failingSince) / 1000)} s (camera.watchdogSeconds)`
      : null;
    if (why === null) return this.camera!;
    const old = this.camera;
    this.camera = null;
    this.hung = false;
    this.failingSince = now;
    this.ctx.log.warn({ camera: old?.name, reason: why }, 'restarting the camera');
    await this.close(old);
    if (!this.running) throw new CameraError(`${PART}: stopped during a restart`);
    this.camera = this.create(this.ctx);
    return this.camera;
  }

  /** A camera must end its own captures in time; one that does not is treated as hung. */
  private bounded(capture: Promise<Frame>, camera: Camera): Promise<Frame> {
    // A capture that settles after its timeout is of no interest, only of no harm.
    capture.catch(() => {});
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.hung = this.camera === camera;
        reject(new CameraError(`${camera.name}: no frame within ${this.timeoutMs / 1000} s (camera.captureTimeoutSeconds)`));
      }, this.timeoutMs);
      capture.then(
        (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private succeeded(camera: Camera): void {
    if (this.failures > 0) {
      this.ctx.log.info({ camera: camera.name, failures: this.failures }, 'camera recovered');
      reportHealth(this.ctx, PART, null);
    }
    this.failures = 0;
    this.retryAt = 0;
  }

  private failed(err: unknown): void {
    this.failures++;
    if (this.failures === 1) this.failingSince = Date.now();
    this.ctx.stats.captureErrors++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
    this.retryAt = Date.now() + delay;
    const message = err instanceof Error ? err.message : String(err);
    const reason = `${message} (${this.failures} failed capture${this.failures === 1 ? '' : 's'} in a row)`;
    if (this.failures === 1) {
      this.ctx.log.warn({ reason: message }, 'camera capture failed; retrying with backoff');
      reportHealth(this.ctx, PART, reason);
    } else {
      // The count in the reason moves on; other parts only hear of the change to degraded.
      this.ctx.degraded.set(PART, reason);
      this.ctx.log.debug({ reason: message, failures: this.failures, retryMs: delay }, 'camera capture failed again');
    }
  }

  private async close(camera: Camera | null): Promise<void> {
    try {
      await camera?.close();
    } catch (err) {
      this.ctx.log.warn({ err, camera: camera?.name }, 'the camera did not close cleanly');
    }
  }
}
