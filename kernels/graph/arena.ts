/** A buffer to place: its size and the steps during which it must hold its value. */
export interface Lifetime {
  bytes: number;
  /** The step that writes it (-1 for a graph input). */
  first: number;
  /** The last step that reads it (steps.length for a graph output). */
  last: number;
}

export interface ArenaLayout {
  offsets: number[];
  bytes: number;
}

const ALIGNMENT = 64;

const align = (n: number): number => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/**
 * Places buffers in one arena so that buffers alive at the same time never overlap:
 * largest first, each at the lowest aligned offset that fits between the buffers it
 * coexists with (TFLite's greedy-by-size strategy). Offsets are cache-line aligned so
 * SIMD kernels can load whole lines.
 */
export function planArena(buffers: Lifetime[]): ArenaLayout {
  const order = buffers.map((_, i) => i).sort((a, b) => buffers[b].bytes - buffers[a].bytes || a - b);
  const offsets = new Array<number>(buffers.length).fill(-1);
  const placed: number[] = [];
  let total = 0;
  for (const i of order) {
    const me = buffers[i];
    const conflicts = placed
      .filter((j) => buffers[j].first <= me.last && me.first <= buffers[j].last)
      .sort((a, b) => offsets[a] - offsets[b]);
    let offset = 0;
    for (const j of conflicts) {
      if (offset + me.bytes <= offsets[j]) break;
      offset = Math.max(offset, align(offsets[j] + buffers[j].bytes));
    }
    offsets[i] = offset;
    placed.push(i);
    total = Math.max(total, align(offset + me.bytes));
  }
  return { offsets, bytes: total };
}
