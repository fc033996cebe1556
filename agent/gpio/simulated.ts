import type { Logger } from 'pino';
import { PinLed } from './led.js';
import type { InputPin, Level, OutputPin } from './pins.js';
import { PinTrigger } from './trigger.js';

// Simulated GPIO for --simulate: the same LED and trigger code as on a Pi, on pins that
// live in memory. The button is pressed by calling press(); the LED's level and pattern
// can be read (a status page, a demo).

class MemoryOutput implements OutputPin {
  level: Level = 0;
  write(level: Level): void {
    this.level = level;
  }
  release(): void {}
}

class MemoryInput implements InputPin {
  private onEdge: ((err: Error | null, level: Level) => void) | null = null;
  watch(onEdge: (err: Error | null, level: Level) => void): void {
    this.onEdge = onEdge;
  }
  release(): void {
    this.onEdge = null;
  }
  edge(): void {
    this.onEdge?.(null, 1);
  }
}

export class SimulatedLed extends PinLed {
  constructor(log: Logger, private readonly line = new MemoryOutput()) {
    super(line, log, 'simulated LED');
  }

  /** Whether the simulated LED is lit at this moment of its pattern. */
  get lit(): boolean {
    return this.line.level === 1;
  }
}

export class SimulatedTrigger extends PinTrigger {
  constructor(log: Logger, private readonly line = new MemoryInput()) {
    super(line, log, 'simulated trigger');
  }

  /** Presses the simulated button: the listeners run as on a real edge. */
  press(): void {
    this.line.edge();
  }
}
