/** What the status LED shows. */
export type LedPattern = 'off' | 'starting' | 'running' | 'offline' | 'error';

export interface StatusLed {
  /** The pattern shown now, for status pages. */
  readonly pattern: LedPattern;
  show(pattern: LedPattern): void;
  close(): Promise<void>;
}

/** A debounced trigger input (PIR sensor, button). */
export interface TriggerInput {
  onTrigger(listener: () => void): void;
  close(): Promise<void>;
}

/** GPIO could not be set up or used; the message says which pin, chip or file. */
export class GpioError extends Error {
  /** What to do about it, when that is more than checking the pins. */
  readonly fix: string | null;
  constructor(message: string, options?: { cause?: unknown; fix?: string }) {
    super(message, options);
    this.name = 'GpioError';
    this.fix = options?.fix ?? null;
  }
}
