import { Worker } from 'node:worker_threads';
import type { OutputValues, TensorValues } from './graph/executor.js';
import { EngineUnavailableError } from './engine-error.js';
import { dequantizeOutput, type ModelInfo } from './model-info.js';
import type { RuntimeOptions } from './runtime.js';
import { ModelError } from './tflite/errors.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

export interface Inference {
  /** The (first) output tensor as stored: quantized integers, or floats for a float output. */
  raw: OutputValues;
  /** Every graph output as stored, in the model's order: a detector's boxes, classes, scores and count. */
  outputs: OutputValues[];
  /** The output as real numbers. */
  values: Float32Array;
  /** Wall time of the kernels on the worker, excluding the hand-over. */
  stepMs?: number[];
}

type Pending = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void };

function toError(reply: WorkerReply & { kind: 'error' }): Error {
  if (reply.name === 'ModelError' && reply.file !== null) return new ModelError(reply.file, reply.message);
  if (reply.name === 'EngineUnavailableError') return new EngineUnavailableError(reply.message);
  const err = new Error(reply.message);
  err.name = reply.name;
  if (reply.stack) err.stack = reply.stack;
  return err;
}

/**
 * A model running on its own worker thread: run() returns a promise and the caller's event
 * loop stays free while the kernels work. Requests are served one at a time, in order.
 */
export class InferenceSession {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: Error | null = null;
  private settleEnded!: (reason: Error) => void;
  /**
   * Resolves, with the reason, once the worker is gone: closed by close(), or dead (it
   * exited, threw, or ran out of memory). Requests after that reject with the same reason.
   */
  readonly ended = new Promise<Error>((resolve) => (this.settleEnded = resolve));

  private constructor(private readonly worker: Worker, readonly info: ModelInfo) {
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      p.resolve(reply);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`the inference worker exited (code ${code})`)));
  }

  static async open(file: string, options: RuntimeOptions = {}): Promise<InferenceSession> {
    const worker = new Worker(new URL('./inference-worker.js', import.meta.url), { workerData: { file, options } });
    let listeners: { message: (r: WorkerReply) => void; error: (e: Error) => void; exit: (code: number) => void };
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      listeners = {
        message: resolve,
        error: reject,
        exit: (code) => reject(new Error(`the inference worker exited (code ${code}) while loading ${file}`)),
      };
      worker.once('message', listeners.message).once('error', listeners.error).once('exit', listeners.exit);
    }).finally(() => {
      // Only ours: removeAllListeners would also drop the worker's internal hooks.
      worker.off('message', listeners.message).off('error', listeners.error).off('exit', listeners.exit);
    });
    if (reply.kind === 'error') {
      await worker.terminate();
      throw toError(reply);
    }
    if (reply.kind !== 'loaded') throw new Error(`unexpected reply ${reply.kind} from the inference worker`);
    return new InferenceSession(worker, reply.info);
  }

  get engine(): string {
    return this.info.engine;
  }

  run(input: TensorValues): Promise<Inference> {
    return this.request('run', input);
  }

  /** Runs once and also returns each step's milliseconds. */
  profile(input: TensorValues): Promise<Inference> {
    return this.request('profile', input);
  }

  async close(): Promise<void> {
    this.exited ??= new Error('the inference session is closed');
    this.settleEnded(this.exited);
    await this.worker.terminate();
  }

  private async request(kind: WorkerRequest['kind'], input: TensorValues): Promise<Inference> {
    if (this.exited) throw this.exited;
    const id = this.nextId++;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind, id, input } satisfies WorkerRequest);
    });
    if (reply.kind === 'error') throw toError(reply);
    if (reply.kind !== 'output') throw new Error(`unexpected reply ${reply.kind} from the inference worker`);
    const raw = reply.outputs[0];
    return { raw, outputs: reply.outputs, values: dequantizeOutput(this.info, raw), stepMs: reply.stepMs };
  }

  private fail(err: Error): void {
    this.exited ??= err;
    for (const p of this.pending.values()) p.reject(this.exited);
    this.pending.clear();
    this.settleEnded(this.exited);
  }
}
