/** The longest wait between reconnect attempts. */
const MAX_DELAY_MS = 60_000;

/**
 * Reconnect delays: the first delay, doubling per failed attempt up to 60 s, each spread
 * by ±20% so that a fleet whose broker restarts does not reconnect in lockstep.
 */
export class Backoff {
  private attempts = 0;

  constructor(private readonly firstMs: number) {}

  next(): number {
    const base = Math.min(MAX_DELAY_MS, this.firstMs * 2 ** this.attempts);
    this.attempts++;
    return Math.round(Math.min(MAX_DELAY_MS, base * (0.8 + 0.4 * Math.random())));
  }

  reset(): void {
    this.attempts = 0;
  }
}
