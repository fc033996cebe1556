import { EngineUnavailableError } from './engine-error.js';
import type { KernelSet } from './kernel-set.js';
import { refKernels } from './ref/index.js';

export type EngineChoice = 'auto' | 'native' | 'js';

export interface SelectedEngine {
  kernels: KernelSet;
  /** Why the native engine is not in use, when it was wanted ('auto') but could not load. */
  fallbackReason: string | null;
}

async function loadNative(threads: number): Promise<{ kernels: KernelSet } | { error: string; forced?: true }> {
  try {
    const native = await import('./native/index.js');
    const forced = native.forcedPathProblem();
    if (forced !== null) return { error: forced, forced: true };
    return native.loadNativeKernels({ threads });
  } catch (err) {
    return { error: `the native kernel module could not be imported: ${(err as Error).message}` };
  }
}

/**
 * The kernel set for an engine choice. 'auto' prefers the native addon and falls back to
 * the TypeScript reference, saying why; 'native' fails when the addon is unavailable, and
 * so does 'auto' when EDGE_AGENT_KERNEL_PATH names a path that cannot run here: a path
 * asked for by name is never swapped for an engine a hundred times slower.
 * `threads` applies to the native engine; the TypeScript engine runs on one thread.
 */
export async function selectEngine(choice: EngineChoice, threads = 1): Promise<SelectedEngine> {
  if (choice === 'js') return { kernels: refKernels, fallbackReason: null };
  const native = await loadNative(threads);
  if ('kernels' in native) return { kernels: native.kernels, fallbackReason: null };
  if (choice === 'native' || 'forced' in native) throw new EngineUnavailableError(`the native engine is unavailable: ${native.error}`);
  return { kernels: refKernels, fallbackReason: native.error };
}
