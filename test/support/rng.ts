// A seeded PRNG (mulberry32) so every generated case reproduces from its seed; shared by
// the kernel suite, the fuzzers and the property tests. The kernel suite's base
// seed comes from KERNEL_TEST_SEED when set, so a failing run can be replayed exactly.

export const BASE_SEED = Number(process.env.KERNEL_TEST_SEED ?? 0x5eed);

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Log-uniform in [lo, hi). */
  logUniform(lo: number, hi: number): number {
    return lo * Math.pow(hi / lo, this.float());
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 255;
    return out;
  }

  int32s(n: number, lo: number, hi: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(lo, hi);
    return out;
  }
}

/** A stable seed per test case: the base seed mixed with the case's description. */
export function caseSeed(description: string): number {
  let h = BASE_SEED >>> 0;
  for (let i = 0; i < description.length; i++) h = Math.imul(h ^ description.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The same generator as a plain function returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.float();
}
