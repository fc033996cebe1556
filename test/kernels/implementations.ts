// Every KernelSet the shared kernel suite (and the agreement tests) runs against. A new
// implementation plugs in by appending itself here; each operator's tests then run on
// it through describe.each, compared with the plain-loop reference.

import type { KernelSet } from '../../kernels/kernel-set.js';
import { refKernels } from '../../kernels/ref/index.js';

export const implementations: readonly KernelSet[] = [refKernels];
