import type { Logger } from 'pino';
import type { LedPattern, StatusLed } from './gpio.js';
import type { Level, OutputPin } from './pins.js';

type Step = readonly [level: Level, ms: number];

/** Each pattern is a cycle of (level, milliseconds) steps; a single step is a steady level. */
export const LED_PATTERNS: Record<LedPattern, readonly Step[]> = {
  off: [[0, 0]],
  running: [[1, 0]],
  // Fast blink, 5 Hz.
  starting: [[1, 100], [0, 100]],
  // Slow blink, one second on, one off: the broker is unreachable, results are queued.
  offline: [[1, 1000], [0, 1000]],
  // Two short flashes every 1.5 s: some part is degraded.
  error: [[1, 150], [0, 150], [1, 150], [0, 1050]],
};

/** The status LED on an output pin. */
export class PinLed implements StatusLed {
  private current: LedPattern = 'off';
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private broken = false;

  /** The pin starts low, which is the 'off' pattern. */
  constructor(private readonly pin: OutputPin, private readonly log: Logger, private readonly where: string) {}

  get pattern(): LedPattern {
    return this.current;
  }

  show(pattern: LedPattern): void {
    if (this.closed || pattern === this.current) return;
    this.current = pattern;
    this.stopBlinking();
    this.step(0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopBlinking();
    this.write(0);
    this.current = 'off';
    this.closed = true;
    try {
      this.pin.release();
    } catch (err) {
      this.log.warn({ err, led: this.where }, 'the status LED pin was not released cleanly');
    }
  }

  private step(index: number): void {
    const steps = LED_PATTERNS[this.current];
    const [level, ms] = steps[index];
    this.write(level);
    if (steps.length === 1 || this.broken) return;
    this.timer = setTimeout(() => this.step((index + 1) % steps.length), ms);
    // Blinking alone must not keep the process alive once everything else has stopped.
    this.timer.unref();
  }

  private stopBlinking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private write(level: Level): void {
    if (this.broken) return;
    try {
      this.pin.write(level);
    } catch (err) {
      // Once a write fails the next ones will too; say so once rather than per blink.
      this.broken = true;
      this.log.error({ err, led: this.where }, 'the status LED cannot be written; it stays as it is');
    }
  }
}
