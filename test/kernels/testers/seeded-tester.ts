// The seed handling every tester shares: an explicit .seed(n), or one derived from the
// builder's settings, so each distinct case draws distinct but reproducible data.

import type { Case } from '../compare.js';
import { caseSeed } from '../../support/rng.js';

export abstract class SeededTester {
  protected seedValue: number | null = null;

  seed(s: number): this { this.seedValue = s; return this; }

  protected abstract settings(): Record<string, unknown>;

  protected seedFor(): number {
    return this.seedValue ?? caseSeed(JSON.stringify(this.settings()));
  }

  protected caseFor(implementation: string, op: string, seed: number): Case {
    return { implementation, op, seed, settings: this.settings() };
  }
}
