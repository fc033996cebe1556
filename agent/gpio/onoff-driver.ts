import type { Gpio as OnoffGpio } from 'onoff';
import { sysfsNumber, type GpioChip } from './chip.js';
import { GpioError } from './gpio.js';
import type { InputOptions, InputPin, OutputPin, PinDriver } from './pins.js';

export type OnoffGpioClass = typeof OnoffGpio;

const rebuild = 'install a C compiler (sudo apt-get install -y build-essential python3), then run npm install in edge-agent\'s folder (or deploy again)';

/**
 * onoff, loaded only when real GPIO is wanted: its native part (epoll) is then needed,
 * and simulated runs on machines without it never load it. It is an optional dependency:
 * npm leaves it out where epoll cannot compile, and the agent runs without GPIO.
 */
export async function loadOnoff(): Promise<OnoffGpioClass> {
  try {
    return (await import('onoff')).Gpio;
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === 'ERR_MODULE_NOT_FOUND' && /'onoff'/.test(message)) {
      throw new GpioError('the onoff package is not installed (npm leaves it out where its native part, epoll, cannot be compiled)', { cause: err, fix: rebuild });
    }
    throw new GpioError(`the onoff package cannot be loaded (${message.split('\n')[0]})`, { cause: err, fix: rebuild });
  }
}

/** Pins through onoff (sysfs), numbered by adding the header chip's base to the BCM pin. */
export class OnoffDriver implements PinDriver {
  readonly description: string;

  constructor(private readonly Gpio: OnoffGpioClass, private readonly chip: GpioChip) {
    this.description = `${chip.name} (${chip.label}, base ${chip.base})`;
  }

  lineOf(bcm: number): number {
    return sysfsNumber(this.chip, bcm);
  }

  output(bcm: number): OutputPin {
    const gpio = this.open(bcm, 'output', (line) => new this.Gpio(line, 'low'));
    return { write: (level) => gpio.writeSync(level), release: () => gpio.unexport() };
  }

  input(bcm: number, options: InputOptions): InputPin {
    const gpio = this.open(bcm, 'input', (line) => new this.Gpio(line, 'in', options.edge, { debounceTimeout: options.debounceMs, activeLow: options.activeLow }));
    return { watch: (onEdge) => gpio.watch((err, level) => onEdge(err ?? null, level)), release: () => gpio.unexport() };
  }

  private open(bcm: number, role: string, make: (line: number) => OnoffGpio): OnoffGpio {
    const line = this.lineOf(bcm);
    try {
      return make(line);
    } catch (err) {
      throw new GpioError(`cannot open BCM ${bcm} (sysfs gpio${line} on ${this.description}) as an ${role}: ${(err as Error).message}`, { cause: err });
    }
  }
}
