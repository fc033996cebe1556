/** What the status LED shows. */
export type LedPattern = 'off' | 'starting' | 'running' | 'offline' | 'error';

export interface StatusLed {
  show(pattern: LedPattern): void;
  close(): Promise<void>;
}

/** A debounced trigger input (PIR sensor, button). */
export interface TriggerInput {
  onTrigger(listener: () => void): void;
  close(): Promise<void>;
}
