// Every KernelSet the shared kernel suite (and the agreement tests) runs against. A new
// implementation plugs in by appending itself here; each operator's tests then run on
// it through describe.each, compared with the plain-loop reference.

import type { KernelSet } from '../../kernels/kernel-set.js';
import { loadNativeKernels, nativeInfo } from '../../kernels/native/index.js';
import { refKernels } from '../../kernels/ref/index.js';
import { inCi } from '../support/required-part.js';

/** One native KernelSet per path this CPU runs (scalar, avx2, avx512vnni, ...), or none and a loud warning. */
function nativeImplementations(): KernelSet[] {
  const info = nativeInfo();
  if ('error' in info) {
    // CI builds the addon (.ci/run installs the compiler): there, a missing addon is a broken build.
    if (inCi) throw new Error(`the native kernels did not load in CI: ${info.error}`);
    console.warn(`\n*** ${info.error}\n*** SKIPPING the native kernels: the kernel suites run on the TypeScript engine only.\n`);
    return [];
  }
  const sets: KernelSet[] = [];
  for (const p of info.paths) {
    if (!p.available) continue;
    const loaded = loadNativeKernels({ path: p.name });
    if ('error' in loaded) throw new Error(`native path ${p.name} is available but did not load: ${loaded.error}`);
    sets.push(loaded.kernels);
  }
  return sets;
}

export const implementations: readonly KernelSet[] = [refKernels, ...nativeImplementations()];
