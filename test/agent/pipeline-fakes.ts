// In-process parts for pipeline unit tests: a context whose result sink numbers results in
// memory, cameras that hand out images at once or when released, and a model whose
// inference is a timer.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Frame } from '../../agent/camera/camera.js';
import { loadConfig } from '../../agent/config/load.js';
import { createAgentContext } from '../../agent/core/context.js';
import type { FrameSource, LoadedModel } from '../../agent/pipeline/pipeline.js';
import type { ResultPayload } from '../../agent/pipeline/result.js';
import { imagePath } from '../support/paths.js';

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * A context on the configuration with `overrides`, its log records kept in `logs`, and a
 * result sink in memory that refuses the first `refusals` results, as a closed outbox would.
 */
export async function context(overrides: Record<string, unknown> = {}, { refusals = 0 } = {}) {
  const { config } = await loadConfig({ env: {}, overrides: overrides as never });
  const submitted: ResultPayload[] = [];
  const logs: LogRecord[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogRecord) });
  const ctx = createAgentContext({ ...config, device: { id: 'test-device' } }, log, '/tmp');
  let refused = 0;
  ctx.results = {
    submit: async (r: Omit<ResultPayload, 'seq'>) => {
      if (refused < refusals) {
        refused++;
        throw new Error('the outbox /tmp/outbox/results.log is closed');
      }
      const full = { ...r, seq: submitted.length };
      submitted.push(full);
      return full;
    },
    depth: () => 0,
  };
  return { ctx, submitted, logs };
}

export const cat = readFileSync(imagePath('cat.png'));
export const parrot = readFileSync(imagePath('parrot.jpg'));

/** A camera that hands out the given images in turn, instantly. */
export function camera(images: Buffer[]): FrameSource & { captures: number } {
  const cam = {
    captures: 0,
    async capture(): Promise<Frame> {
      const data = images[cam.captures++ % images.length];
      return { data, source: `frame-${cam.captures}`, capturedAt: Date.now(), captureMs: 1 };
    },
  };
  return cam;
}

/** A camera that has no frame to give (a camera backing off after failures). */
export function emptyCamera(): FrameSource & { captures: number } {
  const cam = {
    captures: 0,
    async capture(): Promise<null> {
      cam.captures++;
      return null;
    },
  };
  return cam;
}

/** A camera whose captures finish only when the test releases them. */
export function heldCamera(): FrameSource & { started: Promise<void>; release(): void } {
  let release!: () => void;
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    started: startedPromise,
    release,
    async capture(): Promise<Frame> {
      started();
      await released;
      return { data: cat, source: 'held.png', capturedAt: Date.now(), captureMs: 1 };
    },
  };
}

/**
 * A model whose inference takes `delayMs` and scores class (input[0] % 10) highest; its
 * first `failures` runs fail. Its worker never dies (`ended` never settles).
 */
export function model(delayMs = 0, failures = 0): LoadedModel & { runs: number } {
  const m = {
    runs: 0,
    file: 'fake.tflite',
    name: 'fake',
    labels: Array.from({ length: 10 }, (_, i) => `class ${i}`),
    session: {
      engine: 'fake',
      info: { input: { shape: [1, 8, 8, 3], type: 'uint8' } },
      ended: new Promise(() => {}),
      async run(input: Uint8Array) {
        m.runs++;
        await new Promise((r) => setTimeout(r, delayMs));
        if (m.runs <= failures) throw new Error('the kernel failed');
        const values = new Float32Array(10).fill(0.01);
        values[input[0] % 10] = 0.9;
        return { raw: new Uint8Array(10), values };
      },
      async close() {},
    },
  };
  return m as unknown as LoadedModel & { runs: number };
}

