import type { AgentContext } from '../core/context.js';
import { SYSFS_GPIO, findGpioChip } from './chip.js';
import { GpioError, type StatusLed, type TriggerInput } from './gpio.js';
import { PinLed } from './led.js';
import { OnoffDriver, loadOnoff } from './onoff-driver.js';
import type { PinDriver } from './pins.js';
import { SimulatedLed, SimulatedTrigger } from './simulated.js';
import { PinTrigger } from './trigger.js';

export interface GpioParts {
  trigger: TriggerInput | null;
  led: StatusLed | null;
  /** Why GPIO that the configuration asks for is not (all) working; null when it is. */
  problem: string | null;
  /** What to do about the problem, when that is more than checking the pins and the gpio group. */
  fix: string | null;
  /** One line for the log and doctor: what is connected where, or why nothing is. */
  describe(): string;
  close(): Promise<void>;
}

export interface SimulatedGpio extends GpioParts {
  trigger: SimulatedTrigger;
  led: SimulatedLed;
}

function parts(trigger: TriggerInput | null, led: StatusLed | null, problem: string | null, description: string, fix: string | null = null): GpioParts {
  return {
    trigger,
    led,
    problem,
    fix,
    describe: () => description,
    close: async () => {
      await trigger?.close();
      await led?.close();
    },
  };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The trigger and LED that gpio.trigger and gpio.led ask for, on the given pins. */
export function gpioOnDriver(ctx: AgentContext, driver: PinDriver): GpioParts {
  const { trigger: t, led: l } = ctx.config.gpio;
  const problems: string[] = [];
  const said: string[] = [];
  let trigger: TriggerInput | null = null;
  let led: StatusLed | null = null;
  if (t.pin !== null) {
    const where = `BCM ${t.pin}`;
    try {
      trigger = new PinTrigger(driver.input(t.pin, { edge: t.edge, debounceMs: t.debounceMs, activeLow: t.activeLow }), ctx.log, where);
      said.push(`trigger ${where} (gpio${driver.lineOf(t.pin)}, ${t.edge} edge, ${t.debounceMs} ms debounce${t.activeLow ? ', active low' : ''})`);
    } catch (err) {
      problems.push(`trigger: ${message(err)}`);
    }
  }
  if (l.pin !== null) {
    const where = `BCM ${l.pin}`;
    try {
      led = new PinLed(driver.output(l.pin), ctx.log, where);
      said.push(`LED ${where} (gpio${driver.lineOf(l.pin)})`);
    } catch (err) {
      problems.push(`LED: ${message(err)}`);
    }
  }
  const problem = problems.length ? problems.join('; ') : null;
  const description = `GPIO on ${driver.description}: ${[...said, ...problems.map((p) => `failed ${p}`)].join(', ') || 'no pins set (gpio.trigger.pin, gpio.led.pin)'}`;
  return parts(trigger, led, problem, description);
}

/**
 * The agent's GPIO. With simulate: an in-memory trigger and LED, whatever the configuration
 * says. Otherwise, per gpio.*: onoff on the Raspberry Pi header chip found under sysfs. A
 * board without GPIO, or GPIO that cannot be used, gives no parts and a problem that says
 * why: the agent runs on without GPIO. Never throws.
 */
export function createGpio(ctx: AgentContext, options: { simulate: true }): Promise<SimulatedGpio>;
export function createGpio(ctx: AgentContext, options: { simulate: boolean }): Promise<GpioParts>;
export async function createGpio(ctx: AgentContext, options: { simulate: boolean }): Promise<GpioParts> {
  if (options.simulate) {
    const trigger = new SimulatedTrigger(ctx.log);
    const led = new SimulatedLed(ctx.log);
    return { ...parts(trigger, led, null, 'simulated GPIO: a trigger pressed by press() and a status LED in memory'), trigger, led };
  }
  const gpio = ctx.config.gpio;
  if (!gpio.enabled) return parts(null, null, null, 'GPIO off (gpio.enabled is false)');
  if (gpio.trigger.pin === null && gpio.led.pin === null) {
    return parts(null, null, null, 'GPIO on, but no pins are set (gpio.trigger.pin, gpio.led.pin)');
  }
  const unavailable = (why: string, fix: string | null = null): GpioParts => parts(null, null, why, `no GPIO: ${why}; running without it`, fix);
  try {
    const Gpio = await loadOnoff();
    if (!Gpio.accessible) return unavailable(`this board has no usable sysfs GPIO (${SYSFS_GPIO}/export cannot be opened for writing)`);
    return gpioOnDriver(ctx, new OnoffDriver(Gpio, await findGpioChip(SYSFS_GPIO)));
  } catch (err) {
    return unavailable(message(err), err instanceof GpioError ? err.fix : null);
  }
}

/**
 * Why the agent would never capture: trigger.mode is gpio and the trigger input cannot be
 * used. run refuses to start on it and doctor fails with these words; a status LED that
 * cannot be used only degrades the agent.
 */
export function triggerUnavailable(ctx: AgentContext, gpio: GpioParts): string | null {
  if (ctx.config.trigger.mode !== 'gpio' || gpio.trigger !== null) return null;
  return `trigger.mode is gpio, but the trigger input cannot be used, so nothing would ever be captured: ${gpio.problem ?? 'no trigger pin'}`;
}
