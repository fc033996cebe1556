import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'suites', include: ['test/**/*.test.ts'], exclude: ['test/faults/**'] } },
      // The fault suite measures rates, latencies and CPU (docs/reliability.md): it runs after
      // the other suites, one file at a time, so that it has the machine to itself and its
      // figures are the agent's, not those of whatever else ran beside it.
      { extends: true, test: { name: 'faults', include: ['test/faults/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
