// Entry point of the native kernels: loads the addon if it was built, and reports why
// not otherwise, so that callers fall back to the TypeScript reference kernels.

import { loadBinding, type PathInfo } from './binding.js';
import { NativeKernelSet } from './kernel-set.js';

export { NativeKernelSet } from './kernel-set.js';

export interface NativeOptions {
  /** A path name (scalar, avx2, avx512vnni, amx, neon, neon-mlal, neondot, armv7-neon, armv7-neon-mlal); default EDGE_AGENT_KERNEL_PATH, else the best. */
  path?: string;
  /** Threads for the large layers; kernel calls stay synchronous. Default 1. */
  threads?: number;
}

export type NativeLoad = { kernels: NativeKernelSet; path: string } | { error: string };

export function loadNativeKernels(options: NativeOptions = {}): NativeLoad {
  const loaded = loadBinding();
  if ('error' in loaded) return loaded;
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    return { error: `native kernels: threads must be an integer in 1..256, got ${threads}` };
  }
  try {
    const context = loaded.binding.createContext(options.path ?? null, threads);
    const kernels = new NativeKernelSet(loaded.binding, context);
    return { kernels, path: kernels.path };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** What the addon offers on this machine, for `edge-agent doctor`. */
export function nativeInfo(): { arch: string; paths: PathInfo[]; best: string } | { error: string } {
  const loaded = loadBinding();
  return 'error' in loaded ? loaded : loaded.binding.info();
}

/** The variable that makes the native engine run one named path instead of the best one. */
export const KERNEL_PATH_VARIABLE = 'EDGE_AGENT_KERNEL_PATH';

/**
 * Why the path EDGE_AGENT_KERNEL_PATH names cannot run here, or null when it can (or the
 * variable is not set). A path asked for by name is never quietly replaced: the engine
 * refuses to start on it and doctor fails with the same words.
 */
export function forcedPathProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const forced = env[KERNEL_PATH_VARIABLE];
  if (forced === undefined || forced === '') return null;
  const info = nativeInfo();
  if ('error' in info) return `${KERNEL_PATH_VARIABLE}=${forced} is set, but the native kernels did not load (${info.error})`;
  const path = info.paths.find((p) => p.name === forced);
  const available = info.paths.filter((p) => p.available).map((p) => p.name).join(', ');
  if (!path) return `${KERNEL_PATH_VARIABLE}=${forced} names no kernel path of this ${info.arch} build (paths this CPU runs: ${available})`;
  if (!path.available) return `${KERNEL_PATH_VARIABLE}=${forced} names a path this CPU cannot run (paths it runs: ${available})`;
  return null;
}
