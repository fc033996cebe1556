import type { ModelInfo } from './model-info.js';

export type WorkerRequest =
  | { kind: 'run'; id: number; input: Uint8Array | Int8Array | Float32Array }
  | { kind: 'profile'; id: number; input: Uint8Array | Int8Array | Float32Array };

export type WorkerReply =
  | { kind: 'loaded'; id: 0; info: ModelInfo }
  | { kind: 'output'; id: number; raw: Uint8Array | Int8Array | Float32Array; stepMs?: number[] }
  | { kind: 'error'; id: number; name: string; file: string | null; message: string; stack?: string };
