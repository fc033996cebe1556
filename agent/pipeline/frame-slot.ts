import type { Frame } from '../camera/camera.js';

/** Someone waiting for the result of the next frame (a "capture now" command). */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * The one frame waiting for inference. A newer frame replaces a waiting one, so frames
 * never pile up while inference is busy; whoever waited for the replaced frame now waits
 * for the newer one, which is at least as fresh as what they asked for.
 */
export class FrameSlot<T> {
  private frame: Frame | null = null;
  private waiters: Waiter<T>[] = [];

  /** Puts a frame in the slot; returns true when it replaced one (a dropped frame). */
  put(frame: Frame, waiter?: Waiter<T>): boolean {
    const replaced = this.frame !== null;
    this.frame = frame;
    if (waiter) this.waiters.push(waiter);
    return replaced;
  }

  take(): { frame: Frame; waiters: Waiter<T>[] } | null {
    if (!this.frame) return null;
    const taken = { frame: this.frame, waiters: this.waiters };
    this.frame = null;
    this.waiters = [];
    return taken;
  }

  /** Fails everyone still waiting (on shutdown). */
  abandon(error: Error): void {
    for (const w of this.waiters) w.reject(error);
    this.frame = null;
    this.waiters = [];
  }
}
