import type { TensorValues } from '../../kernels/graph/executor.js';
import type { Inference, InferenceSession } from '../../kernels/session.js';
import { reportHealth, type AgentContext } from '../core/context.js';

/** The loaded model the pipeline runs; replaced whole by a model reload. */
export interface LoadedModel {
  /** The .tflite file, opened again when its worker has to be restarted. */
  file: string;
  session: InferenceSession;
  /** The model's name in results: its file name without .tflite, or the name update-model gave it. */
  name: string;
  labels: string[] | null;
  /** The file's sha256, which names the exact model across a fleet. */
  sha256: string;
}

/** Opens a model file on a new inference worker. */
export type OpenSession = (file: string) => Promise<InferenceSession>;

/**
 * Waits before each attempt to bring a dead worker back. A few short tries cover a
 * passing failure (a burst of memory pressure); a worker that keeps dying is better
 * restarted with the whole process by pm2 than retried forever.
 */
const RESTART_DELAYS_MS = [250, 500, 1000, 2000, 4000];
const PART = 'inference';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The model the pipeline runs, kept alive. When its inference worker dies (it exited,
 * threw, ran out of memory), the model file is opened again on a new worker, with a
 * growing wait between attempts; meanwhile the "inference" part is degraded and run()
 * fails at once, so frames are counted as lost rather than queued. When every attempt has
 * failed, a 'fatal' event ends the process (non-zero, so pm2 restarts it): an agent that
 * captures frames it can never infer would look alive and do nothing.
 */
export class SupervisedModel {
  private model: LoadedModel;
  /** Why the worker is being restarted, while it is. */
  private restarting: string | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  /** Sessions ended on purpose (swapped out, closed): their end is not a death. */
  private readonly retired = new WeakSet<InferenceSession>();

  constructor(private readonly ctx: AgentContext, model: LoadedModel, private readonly open: OpenSession) {
    this.model = model;
    this.watch(model);
  }

  get current(): LoadedModel {
    return this.model;
  }

  run(input: TensorValues): Promise<Inference> {
    if (this.restarting !== null) return Promise.reject(new Error(`the inference worker is being restarted (${this.restarting})`));
    return this.model.session.run(input);
  }

  /** Makes `next` the model; returns the previous one, for the caller to close once its frame is done. */
  swap(next: LoadedModel): LoadedModel {
    const previous = this.model;
    this.retired.add(previous.session);
    this.model = next;
    this.watch(next);
    if (this.restarting !== null) {
      // A model that loaded is a working worker: the restart of the old one is moot.
      this.restarting = null;
      this.wake?.();
      reportHealth(this.ctx, PART, null);
    }
    return previous;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.retired.add(this.model.session);
    await this.model.session.close();
  }

  private watch(model: LoadedModel): void {
    void model.session.ended.then((reason) => {
      if (this.closed || this.retired.has(model.session) || this.model !== model) return;
      void this.restart(model, reason.message);
    });
  }

  private async restart(dead: LoadedModel, cause: string): Promise<void> {
    const { ctx } = this;
    this.restarting = `it died: ${cause}`;
    ctx.log.error({ model: dead.name, cause }, 'the inference worker died; opening the model on a new one');
    reportHealth(ctx, PART, `the inference worker died (${cause}); restarting it`);
    let lastError = '';
    for (const [attempt, delayMs] of RESTART_DELAYS_MS.entries()) {
      await this.sleep(delayMs);
      if (this.closed || this.model !== dead) return;
      try {
        const session = await this.open(dead.file);
        if (this.closed || this.model !== dead) {
          await session.close();
          return;
        }
        const revived = { ...dead, session };
        this.model = revived;
        this.watch(revived);
        this.restarting = null;
        ctx.log.info({ model: dead.name, attempt: attempt + 1 }, 'the inference worker is back');
        reportHealth(ctx, PART, null);
        return;
      } catch (err) {
        lastError = messageOf(err);
        ctx.log.warn({ model: dead.name, attempt: attempt + 1, of: RESTART_DELAYS_MS.length, err: lastError }, 'the inference worker could not be restarted');
        ctx.degraded.set(PART, `the inference worker died (${cause}); restart ${attempt + 1} of ${RESTART_DELAYS_MS.length} failed: ${lastError}`);
      }
    }
    const reason = `the inference worker died (${cause}) and could not be restarted in ${RESTART_DELAYS_MS.length} attempts (last: ${lastError})`;
    ctx.log.fatal({ model: dead.name }, reason);
    ctx.events.emit('fatal', { part: PART, reason });
  }

  /** Waits, or less if close() or swap() makes the wait moot. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => (this.wake = null));
  }
}
