import { describe, expect, it } from 'vitest';
import { planArena, type Lifetime } from '../../kernels/graph/arena.js';

function lcg(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('planArena', () => {
  it('never overlaps two buffers that are alive at the same time (random lifetimes)', () => {
    const rand = lcg(42);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 40);
      const buffers: Lifetime[] = Array.from({ length: n }, () => {
        const first = Math.floor(rand() * 30) - 1;
        return { bytes: 1 + Math.floor(rand() * 5000), first, last: first + Math.floor(rand() * 6) };
      });
      const { offsets, bytes } = planArena(buffers);
      for (let i = 0; i < n; i++) {
        expect(offsets[i] % 64).toBe(0);
        expect(offsets[i] + buffers[i].bytes).toBeLessThanOrEqual(bytes);
        for (let j = i + 1; j < n; j++) {
          const a = buffers[i];
          const b = buffers[j];
          const together = a.first <= b.last && b.first <= a.last;
          const apart = offsets[i] + a.bytes <= offsets[j] || offsets[j] + b.bytes <= offsets[i];
          if (together) expect(apart, `trial ${trial}: buffers ${i} and ${j}`).toBe(true);
        }
      }
      const unshared = buffers.reduce((a, b) => a + Math.ceil(b.bytes / 64) * 64, 0);
      expect(bytes).toBeLessThanOrEqual(unshared);
    }
  });

  it('reuses memory along a chain: a -> b -> c needs room for two, not three', () => {
    const { offsets, bytes } = planArena([
      { bytes: 1000, first: -1, last: 0 },
      { bytes: 1000, first: 0, last: 1 },
      { bytes: 1000, first: 1, last: 2 },
    ]);
    expect(bytes).toBe(2048);
    expect(offsets[0]).toBe(offsets[2]);
  });
});
