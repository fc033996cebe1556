// The thread that owns a model: it loads, plans and runs it, so the event loop of the
// thread that asked never waits for a kernel. Messages are answered in order.
import { parentPort, workerData } from 'node:worker_threads';
import { describeRuntime } from './model-info.js';
import { loadRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { ModelError } from './tflite/errors.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const port = parentPort!;
const { file, options } = workerData as { file: string; options: RuntimeOptions };

function serializeError(err: unknown): WorkerReply & { kind: 'error' } {
  if (err instanceof ModelError) return { kind: 'error', id: -1, name: 'ModelError', file: err.file, message: err.reason };
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'error', id: -1, name: e.name, file: null, message: e.message, stack: e.stack };
}

let runtime: Runtime;
try {
  runtime = await loadRuntime(file, options);
  port.postMessage({ kind: 'loaded', id: 0, info: describeRuntime(runtime) } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ ...serializeError(err), id: 0 });
  process.exit(0);
}

port.on('message', (request: WorkerRequest) => {
  try {
    const { outputs, stepMs } = request.kind === 'run' ? { outputs: runtime.runOutputs(request.input) } : runtime.runProfiled(request.input);
    port.postMessage({ kind: 'output', id: request.id, outputs, stepMs } satisfies WorkerReply, outputs.map((o) => o.buffer as ArrayBuffer));
  } catch (err) {
    port.postMessage({ ...serializeError(err), id: request.id });
  }
});
