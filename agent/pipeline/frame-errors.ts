import { reportHealth, type AgentContext } from '../core/context.js';
import type { FrameErrorCause } from '../telemetry/run-stats.js';

/** Each cause is logged at most this often; the lines in between are counted, not lost. */
const LOG_INTERVAL_MS = 60_000;
/** The health part of frames that came in but did not become results. */
const PART = 'frames';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Errors that stop a captured frame from becoming a result (the motion gate's decode,
 * preprocessing, inference, recording it, a GPIO trigger's capture). None of them is
 * silent: each is counted by cause (telemetry `frames.errors`), marks the "frames" part
 * degraded until a result is recorded again, and is logged, naming the frame's source, at
 * most once a minute per cause so that a camera sending garbage at 30 fps cannot flood the log.
 */
export class FrameErrors {
  private readonly logged = new Map<FrameErrorCause, { at: number; unlogged: number }>();

  constructor(private readonly ctx: AgentContext) {}

  record(cause: FrameErrorCause, source: string, err: unknown, now = Date.now()): void {
    const { ctx } = this;
    ctx.stats.frameErrors[cause]++;
    const message = messageOf(err);
    // Image errors already start with the frame's source.
    const reason = `${cause}: ${message.startsWith(`${source}: `) ? message : `${source}: ${message}`}`;
    if (ctx.degraded.get(PART) !== reason) {
      if (ctx.degraded.has(PART)) ctx.degraded.set(PART, reason);
      else reportHealth(ctx, PART, reason);
    }
    const last = this.logged.get(cause);
    if (last && now - last.at < LOG_INTERVAL_MS) {
      last.unlogged++;
      return;
    }
    ctx.log.warn(
      { cause, source, error: message, notLoggedSinceLast: last?.unlogged ?? 0, total: ctx.stats.frameErrors[cause] },
      `a frame was lost to a ${cause} error (logged at most once a minute per cause; telemetry frames.errors counts them all)`,
    );
    this.logged.set(cause, { at: now, unlogged: 0 });
  }

  /** A result was recorded: frames flow again. */
  flowing(): void {
    if (this.ctx.degraded.has(PART)) {
      reportHealth(this.ctx, PART, null);
      this.ctx.log.info('frames become results again');
    }
  }
}
