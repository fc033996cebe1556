import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The ARM suites build into the same folder (build/c/arm64, with make): one at a time.
const armSuites = ['test/kernels/arm-emulation.test.ts', 'test/bench/arm-model.test.ts', 'test/bench/arm-decode.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default leaves a core idle; the suites mostly wait on child processes
    // (brokers, sshd, ffmpeg, qemu), so every core runs a file.
    maxWorkers: availableParallelism(),
    projects: [
      { extends: true, test: { name: 'suites', include: ['test/**/*.test.ts'], exclude: ['test/faults/**', ...armSuites] } },
      { extends: true, test: { name: 'arm', include: armSuites, fileParallelism: false } },
      // The fault suite measures rates, latencies and CPU (docs/reliability.md): it runs after
      // the other suites, one file at a time, so that it has the machine to itself and its
      // figures are the agent's, not those of whatever else ran beside it.
      { extends: true, test: { name: 'faults', include: ['test/faults/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
