// The shape of the compiled addon (src/binding.c) and how it is found on disk.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque handle (a Node-API external) to a C context or operator. */
export type Handle = { readonly __nativeHandle: unique symbol };

export interface PathInfo {
  name: string;
  available: boolean;
}

export interface Binding {
  info(): { arch: string; paths: PathInfo[]; best: string };
  createContext(path: string | null, threads: number): Handle;
  contextPath(context: Handle): string;
  create(
    context: Handle, kind: string, ints: Int32Array,
    weightZeroPoint?: Int32Array | null, bias?: Int32Array | null, scale?: Float32Array | null,
    data?: Uint8Array | Float64Array | null, real?: number,
  ): Handle;
  kernelName(op: Handle): string;
  run(context: Handle, op: Handle, input: ArrayBufferView, input2: Uint8Array | null, output: ArrayBufferView): void;
}

/** The package root: the nearest directory above this file holding binding.gyp (source or dist layout). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('binding.gyp not found above ' + dirname(fileURLToPath(import.meta.url)));
    dir = up;
  }
}

let cached: { binding: Binding } | { error: string } | undefined;

/** Loads the addon once per thread; the error says why when it cannot. */
export function loadBinding(): { binding: Binding } | { error: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => Binding;
    cached = { binding: nodeGypBuild(packageRoot()) };
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    cached = { error: `native kernels unavailable: ${message}` };
  }
  return cached;
}
