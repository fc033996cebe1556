import { basename } from 'node:path';
import { InferenceSession, type Inference } from '../../kernels/session.js';
import type { Frame } from '../camera/camera.js';
import { frameImage } from '../camera/raw-image.js';
import type { AgentContext } from '../core/context.js';
import { AgentPart } from '../core/extension.js';
import type { FrameErrorCause } from '../telemetry/run-stats.js';
import { ObjectWatch } from '../detection/object-watch.js';
import { topK } from './classification.js';
import { detections } from './detections.js';
import { FrameErrors } from './frame-errors.js';
import { FrameSlot, type Waiter } from './frame-slot.js';
import { MotionGate } from './motion-gate.js';
import { imageToTensor } from './preprocess.js';
import type { ResultPayload } from './result.js';
import { SupervisedModel, type LoadedModel } from './supervised-model.js';

export type { LoadedModel } from './supervised-model.js';

/** Where frames come from: resolves null while the camera is backing off after failures. */
export interface FrameSource {
  capture(): Promise<Frame | null>;
}

export interface PipelineOptions {
  /** Stop after this many results (the run command's --max-frames). */
  maxFrames?: number;
}

/** A result handed to the sink; `recorded` resolves once the sink has it (on disk, for the outbox). */
interface Submitted {
  recorded: Promise<ResultPayload>;
}

/** A frame that did not become a result; already counted and logged by FrameErrors. */
class FrameLostError extends Error {
  constructor(readonly frameCause: FrameErrorCause, message: string) {
    super(message);
    this.name = 'FrameLostError';
  }
}

/**
 * Trigger captures in progress or waiting, at most: a bouncing switch or a PIR sensor that
 * keeps firing gets one capture after the current one, never a queue of them.
 */
const MAX_TRIGGER_CAPTURES = 2;

const round = (ms: number): number => Math.round(ms * 100) / 100;

export function modelName(file: string): string {
  return basename(file).replace(/\.tflite$/i, '');
}

/**
 * camera -> preprocess -> inference -> result: captures at the set fps (continuous mode)
 * or on triggers, keeps only the newest frame while inference is busy, skips still scenes
 * when the motion gate is on, and submits each result to the context's result sink. A
 * frame that does not become a result is counted, logged and reported (FrameErrors); the
 * model's worker is restarted if it dies (SupervisedModel). Pausing stops the timer and
 * GPIO triggers; a capture request (the "capture" command) still runs while paused.
 */
export class Pipeline extends AgentPart {
  readonly name = 'pipeline';
  private readonly slot = new FrameSlot<ResultPayload>();
  private readonly gate: MotionGate | null;
  private readonly errors: FrameErrors;
  private readonly model: SupervisedModel;
  private timer: NodeJS.Timeout | null = null;
  private capturing = false;
  private processing: Promise<void> | null = null;
  private running = false;
  private produced = 0;
  private triggerCaptures = 0;
  /** The objects a detector model is following, and the model's file. */
  private objects: { file: string; watch: ObjectWatch } | null = null;
  /** The counts last reported, as JSON. */
  private lastCounts = '';
  /** When the timer last started a capture (performance.now()). */
  private lastTickAt = -Infinity;
  /** Results submitted to the sink and not yet recorded. */
  private readonly recording = new Set<Promise<void>>();
  private finished!: () => void;
  /** Resolves when --max-frames results have been produced. */
  readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    ctx: AgentContext,
    private readonly camera: FrameSource,
    model: LoadedModel,
    private readonly options: PipelineOptions = {},
  ) {
    super(ctx);
    const motion = ctx.config.trigger.motion;
    this.gate = motion.enabled ? new MotionGate(motion.threshold, motion.minIntervalSeconds * 1000) : null;
    this.errors = new FrameErrors(ctx);
    const { engine, threads } = ctx.config.model;
    this.model = new SupervisedModel(ctx, model, (file) => InferenceSession.open(file, { engine, threads }));
  }

  get engine(): string {
    return this.model.current.session.engine;
  }

  get modelName(): string {
    return this.model.current.name;
  }

  /** The model it runs now (a reload or an update may have swapped it). */
  get currentModel(): LoadedModel {
    return this.model.current;
  }

  async start(): Promise<void> {
    this.running = true;
    if (this.ctx.config.trigger.mode === 'gpio') this.listen('trigger', this.onTrigger);
    this.reschedule();
  }

  /** Stops capturing, finishes the frame in flight, and closes the model. */
  override async stop(): Promise<void> {
    this.running = false;
    await super.stop();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.processing;
    await Promise.all(this.recording);
    this.endObjects();
    this.slot.abandon(new Error('the agent is stopping'));
    await this.model.close();
  }

  /**
   * Applies the live fps and pause settings to the capture timer. A frame is taken at once
   * only when one is due at the new rate: a stream of set-fps commands must not capture a
   * frame per command.
   */
  reschedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const { settings, config } = this.ctx;
    if (!this.running || settings.paused || config.trigger.mode !== 'continuous') return;
    const periodMs = 1000 / settings.fps;
    this.timer = setInterval(() => this.tick(), periodMs);
    if (performance.now() - this.lastTickAt >= periodMs) this.tick();
  }

  /** Captures a frame now and resolves with its result (the "capture" command, a GPIO trigger). */
  capture(reason: string): Promise<ResultPayload> {
    return new Promise((resolve, reject) => {
      if (!this.running) {
        reject(new Error('the pipeline is not running'));
        return;
      }
      this.ctx.log.debug({ reason }, 'capture requested');
      this.grab({ resolve, reject }).catch(reject);
    });
  }

  /** Swaps in a loaded model; the old one finishes its frame and is closed. */
  async swapModel(next: LoadedModel): Promise<void> {
    const previous = this.model.swap(next);
    await this.processing;
    await previous.session.close();
  }

  private readonly onTrigger = ({ source }: { source: string }): void => {
    if (this.ctx.settings.paused) {
      this.ctx.log.debug({ source }, 'trigger ignored: paused');
      return;
    }
    if (this.triggerCaptures >= MAX_TRIGGER_CAPTURES) {
      this.ctx.stats.triggersCoalesced++;
      return;
    }
    this.triggerCaptures++;
    this.capture(`trigger:${source}`)
      .catch((err: unknown) => {
        // A frame lost on its way is counted where it was lost; a stop is no failure.
        if (!(err instanceof FrameLostError) && this.running) this.errors.record('trigger', `trigger:${source}`, err);
      })
      .finally(() => this.triggerCaptures--);
  };

  private tick(): void {
    if (this.capturing) return;
    this.lastTickAt = performance.now();
    this.grab().catch((err) => this.ctx.log.error({ err }, 'capture loop failed'));
  }

  private async grab(waiter?: Waiter<ResultPayload>): Promise<void> {
    this.capturing = true;
    let frame: Frame | null;
    try {
      frame = await this.camera.capture();
    } finally {
      this.capturing = false;
    }
    if (!frame) {
      waiter?.reject(new Error('the camera is not delivering frames (see telemetry "degraded")'));
      return;
    }
    // stop() does not wait for a capture in flight: a frame that arrives after it must not
    // become a result, which would be recorded after the MQTT part had already drained
    // and said offline (and run on a model that is being closed).
    if (!this.running) {
      waiter?.reject(new Error('the pipeline is stopping'));
      return;
    }
    this.ctx.stats.framesCaptured++;
    if (this.slot.put(frame, waiter)) this.ctx.stats.framesDropped++;
    this.processing ??= this.drain().finally(() => (this.processing = null));
  }

  private async drain(): Promise<void> {
    for (let next = this.slot.take(); next; next = this.slot.take()) {
      const { waiters } = next;
      let submitted: Submitted | null;
      try {
        submitted = await this.process(next.frame, waiters.length > 0);
      } catch (err) {
        if (!(err instanceof FrameLostError)) this.ctx.log.error({ err, source: next.frame.source }, 'a frame could not be processed');
        for (const w of waiters) w.reject(err as Error);
        continue;
      }
      if (!submitted) {
        for (const w of waiters) w.reject(new Error('the frame was skipped'));
        continue;
      }
      // The next frame goes on while this result is written: the sink records results in
      // batches (outbox.flushMilliseconds), and waiting for each batch here would cap the
      // frame rate at one result per batch.
      const settled = submitted.recorded.then(
        (result) => {
          for (const w of waiters) w.resolve(result);
        },
        (err: Error) => {
          for (const w of waiters) w.reject(err);
        },
      );
      this.recording.add(settled);
      void settled.then(() => this.recording.delete(settled));
    }
  }

  /**
   * What a result says the frame holds: a classifier's best classes, or a detector's objects
   * in view (with their classes as `top`, best first, for consumers that read only `top`).
   */
  private answer(model: LoadedModel, inference: Inference, frame: Frame): Pick<ResultPayload, 'top' | 'objects'> {
    const { settings, config } = this.ctx;
    const detection = model.session.info.detection;
    if (!detection) return { top: topK(inference.values, settings.topK, model.labels).filter((p) => p.score >= settings.scoreThreshold) };
    // Objects are followed per model: another detector's boxes are not the same objects.
    if (this.objects?.file !== model.file) {
      this.endObjects();
      this.objects = { file: model.file, watch: new ObjectWatch(config.objects) };
    }
    const { objects, events, bestFrame } = this.objects.watch.see(detections(inference.outputs, detection, 0, model.labels), frame.capturedAt);
    if (events.length > 0 || bestFrame.length > 0) this.ctx.events.emit('objects', { events, frame, timeMs: frame.capturedAt, seen: objects, bestFrame });
    this.reportCounts(this.objects.watch.counts());
    const top = objects.map(({ index, label, score }) => ({ index, label, score })).sort((a, b) => b.score - a.score);
    return { top, objects };
  }

  /** Ends the objects in view of the detector followed so far, if any. */
  private endObjects(): void {
    if (!this.objects) return;
    const { watch } = this.objects;
    const events = watch.endAll();
    this.objects = null;
    if (events.length > 0) this.ctx.events.emit('objects', { events, frame: null, timeMs: Date.now(), seen: [], bestFrame: [] });
    this.reportCounts(watch.counts());
  }

  /** Tells the other parts the counts of objects in view when they change. */
  private reportCounts(counts: Record<string, number>): void {
    const text = JSON.stringify(counts);
    if (text === this.lastCounts) return;
    this.lastCounts = text;
    this.ctx.events.emit('objectCounts', counts);
  }

  /** Counts and reports a frame lost at `cause`; the error to reject its waiters with. */
  private lost(cause: FrameErrorCause, frame: Frame, err: unknown): FrameLostError {
    this.errors.record(cause, frame.source, err);
    const message = err instanceof Error ? err.message : String(err);
    return new FrameLostError(cause, message.startsWith(`${frame.source}: `) ? message : `${frame.source}: ${message}`);
  }

  /**
   * One frame through the model, submitted to the result sink; null when the motion gate
   * skips it or --max-frames has been reached. Throws a FrameLostError when it is lost.
   */
  private async process(frame: Frame, requested: boolean): Promise<Submitted | null> {
    const { ctx } = this;
    if (this.options.maxFrames !== undefined && this.produced >= this.options.maxFrames) return null;
    const started = performance.now();
    if (this.gate && !requested) {
      let moved: boolean;
      try {
        moved = await this.gate.shouldClassify(frameImage(frame));
      } catch (err) {
        throw this.lost('motionGate', frame, err);
      }
      if (!moved) {
        ctx.stats.framesStill++;
        return null;
      }
    }
    const model = this.model.current;
    const info = model.session.info;
    const [, height, width, channels] = info.input.shape;
    let tensor;
    try {
      tensor = await imageToTensor(frameImage(frame), { height, width, channels, type: info.input.type }, frame.source, ctx.config.model.resize);
    } catch (err) {
      throw this.lost('preprocess', frame, err);
    }
    const preprocessed = performance.now();
    let inference: Inference;
    try {
      inference = await this.model.run(tensor);
    } catch (err) {
      throw this.lost('inference', frame, err);
    }
    const inferred = performance.now();
    const answer = this.answer(model, inference, frame);
    const sink = ctx.results;
    if (!sink) throw new Error('no result sink is attached');
    // Counted when submitted, so that --max-frames never submits one too many.
    this.produced++;
    const last = this.options.maxFrames !== undefined && this.produced >= this.options.maxFrames;
    if (last) {
      this.running = false;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    }
    const recorded = sink.submit({
      ts: new Date(frame.capturedAt).toISOString(),
      device: ctx.deviceId,
      model: model.name,
      modelSha256: model.sha256,
      source: frame.source,
      ...answer,
      latencyMs: {
        capture: round(frame.captureMs),
        preprocess: round(preprocessed - started),
        inference: round(inferred - preprocessed),
        // From the start of the capture to the result being recorded.
        total: round(frame.captureMs + Date.now() - frame.capturedAt),
      },
      engine: model.session.engine,
    }).then(
      (result) => {
        ctx.stats.recordResult();
        ctx.stats.inferenceMs.add(inferred - preprocessed);
        ctx.stats.totalMs.add(result.latencyMs.total);
        this.errors.flowing();
        ctx.events.emit('result', result);
        ctx.events.emit('frame', { frame, result });
        return result;
      },
      (err: unknown) => {
        throw this.lost('outbox', frame, err);
      },
    );
    if (last) void recorded.then(this.finished, this.finished);
    return { recorded };
  }
}
