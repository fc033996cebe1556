/**
 * Reconnect delays: the first delay, doubling per failed attempt up to a ceiling, each
 * spread by ±20% so that a fleet whose broker restarts does not reconnect in lockstep.
 */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** this.attempts);
    this.attempts++;
    return Math.round(Math.min(this.maxMs, base * (0.8 + 0.4 * this.random())));
  }

  reset(): void {
    this.attempts = 0;
  }
}
