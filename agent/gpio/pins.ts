// The small pin interface the LED and the trigger are written against: onoff drives it on
// a Pi (onoff-driver.ts); anything else that can set a level or report an edge can too.

export type Level = 0 | 1;
export type Edge = 'rising' | 'falling' | 'both';

export interface OutputPin {
  write(level: Level): void;
  /** Gives the line back to the system (unexport). */
  release(): void;
}

export interface InputOptions {
  edge: Edge;
  /** An edge counts once the line has been quiet this long. */
  debounceMs: number;
  /** The line reads 1 when pulled low (a button to ground). */
  activeLow: boolean;
}

export interface InputPin {
  /** Called on each debounced edge of the configured kind, with the level after it. */
  watch(onEdge: (err: Error | null, level: Level) => void): void;
  release(): void;
}

export interface PinDriver {
  /** Says which controller the pins are on, e.g. "gpiochip512 (pinctrl-bcm2711, base 512)". */
  readonly description: string;
  /** The sysfs line number a BCM pin maps to, for messages. */
  lineOf(bcm: number): number;
  /** Opens a BCM pin as an output, driven low. Throws a GpioError naming the pin. */
  output(bcm: number): OutputPin;
  input(bcm: number, options: InputOptions): InputPin;
}
