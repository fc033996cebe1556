import type { Logger } from 'pino';
import type { TriggerInput } from './gpio.js';
import type { InputPin } from './pins.js';

/** A trigger on an input pin; the pin's driver filters the edge kind and debounces. */
export class PinTrigger implements TriggerInput {
  private readonly listeners: Array<() => void> = [];
  private closed = false;

  constructor(private readonly pin: InputPin, private readonly log: Logger, private readonly where: string) {
    pin.watch((err) => {
      if (err) {
        this.log.warn({ err, trigger: where }, 'the trigger input reported an error');
        return;
      }
      if (!this.closed) this.fire();
    });
  }

  onTrigger(listener: () => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.pin.release();
    } catch (err) {
      this.log.warn({ err, trigger: this.where }, 'the trigger pin was not released cleanly');
    }
  }

  private fire(): void {
    // A listener's failure must not stop the others, nor reach the pin driver's poller.
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.log.error({ err, trigger: this.where }, 'a trigger listener failed');
      }
    }
  }
}
