import type { OutputValues, TensorValues } from './graph/executor.js';
import type { ModelInfo } from './model-info.js';

export type WorkerRequest = { kind: 'run' | 'profile'; id: number; input: TensorValues };

export type WorkerReply =
  | { kind: 'loaded'; id: 0; info: ModelInfo }
  | { kind: 'output'; id: number; outputs: OutputValues[]; stepMs?: number[] }
  | { kind: 'error'; id: number; name: string; file: string | null; message: string; stack?: string };
