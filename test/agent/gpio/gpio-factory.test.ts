// createGpio in each situation (simulated, off, no pins, a board without GPIO), the parts
// built on a pin driver, and the gpio part: trigger events and the LED following the agent.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../../agent/core/context.js';
import { createGpio, gpioOnDriver } from '../../../agent/gpio/factory.js';
import { GpioExtension } from '../../../agent/gpio/gpio-extension.js';
import { GpioError } from '../../../agent/gpio/gpio.js';
import type { InputOptions, InputPin, Level, OutputPin, PinDriver } from '../../../agent/gpio/pins.js';
import { SimulatedLed, SimulatedTrigger } from '../../../agent/gpio/simulated.js';
import { testContext } from '../camera/test-context.js';
import { itWhenPresent } from '../../support/required-part.js';

// These need a machine without GPIO, as CI machines are: on a board they would find real pins.
const boardHasGpio = existsSync('/sys/class/gpio') ? 'a machine without GPIO (this one has /sys/class/gpio)' : null;

/** A pin driver in memory that records what was opened, and can refuse a pin. */
class FakeDriver implements PinDriver {
  readonly description = 'gpiochip512 (pinctrl-bcm2711, base 512)';
  readonly opened: string[] = [];
  outputs = new Map<number, Level[]>();
  private edges = new Map<number, (err: Error | null, level: Level) => void>();
  constructor(private readonly refuse: number | null = null) {}
  lineOf(bcm: number): number {
    return 512 + bcm;
  }
  output(bcm: number): OutputPin {
    if (bcm === this.refuse) throw new GpioError(`cannot open BCM ${bcm}: EBUSY`);
    this.opened.push(`out ${bcm}`);
    const writes: Level[] = [];
    this.outputs.set(bcm, writes);
    return { write: (l) => void writes.push(l), release: () => void this.opened.push(`release ${bcm}`) };
  }
  input(bcm: number, o: InputOptions): InputPin {
    if (bcm === this.refuse) throw new GpioError(`cannot open BCM ${bcm}: EBUSY`);
    this.opened.push(`in ${bcm} ${o.edge} ${o.debounceMs} ${o.activeLow}`);
    return { watch: (cb) => void this.edges.set(bcm, cb), release: () => void this.opened.push(`release ${bcm}`) };
  }
  edge(bcm: number): void {
    this.edges.get(bcm)?.(null, 1);
  }
}

const pins = { gpio: { enabled: true, trigger: { pin: 17, edge: 'falling', debounceMs: 30, activeLow: true }, led: { pin: 27 } } };

describe('createGpio', () => {
  it('gives a simulated trigger to press and an LED to read with --simulate, whatever gpio.* says', async () => {
    const { ctx } = await testContext();
    const gpio = await createGpio(ctx, { simulate: true });
    expect(gpio.trigger).toBeInstanceOf(SimulatedTrigger);
    expect(gpio.led).toBeInstanceOf(SimulatedLed);
    expect(gpio.problem).toBeNull();
    let presses = 0;
    gpio.trigger.onTrigger(() => presses++);
    gpio.trigger.press();
    expect(presses).toBe(1);
    gpio.led.show('running');
    expect([gpio.led.pattern, gpio.led.lit]).toEqual(['running', true]);
    await gpio.close();
    expect([gpio.led.pattern, gpio.led.lit]).toEqual(['off', false]);
    gpio.trigger.press();
    expect(presses).toBe(1);
  });

  it('gives nothing, and says why, when GPIO is off or no pin is set', async () => {
    const off = await createGpio((await testContext()).ctx, { simulate: false });
    expect([off.trigger, off.led, off.problem, off.describe()]).toEqual([null, null, null, 'GPIO off (gpio.enabled is false)']);
    const none = await createGpio((await testContext({ gpio: { enabled: true } })).ctx, { simulate: false });
    expect([none.trigger, none.led, none.problem]).toEqual([null, null, null]);
    expect(none.describe()).toBe('GPIO on, but no pins are set (gpio.trigger.pin, gpio.led.pin)');
  });

  itWhenPresent(boardHasGpio)('runs on without GPIO on a board that has none, with the reason as a problem', async () => {
    const gpio = await createGpio((await testContext(pins)).ctx, { simulate: false });
    expect([gpio.trigger, gpio.led]).toEqual([null, null]);
    expect(gpio.problem).toBe('this board has no usable sysfs GPIO (/sys/class/gpio/export cannot be opened for writing)');
    expect(gpio.describe()).toBe(`no GPIO: ${gpio.problem}; running without it`);
    await gpio.close();
  });
});

describe('gpioOnDriver', () => {
  it('opens the configured trigger and LED pins with their options and describes them', async () => {
    const { ctx } = await testContext(pins);
    const driver = new FakeDriver();
    const gpio = gpioOnDriver(ctx, driver);
    expect(driver.opened).toEqual(['in 17 falling 30 true', 'out 27']);
    expect(gpio.problem).toBeNull();
    expect(gpio.describe()).toBe(
      'GPIO on gpiochip512 (pinctrl-bcm2711, base 512): trigger BCM 17 (gpio529, falling edge, 30 ms debounce, active low), LED BCM 27 (gpio539)',
    );
    let edges = 0;
    gpio.trigger!.onTrigger(() => edges++);
    driver.edge(17);
    expect(edges).toBe(1);
    gpio.led!.show('running');
    expect(driver.outputs.get(27)).toEqual([1]);
    await gpio.close();
    expect(driver.opened.slice(2)).toEqual(['release 17', 'release 27']);
  });

  it('keeps the part that opened when the other cannot, and reports the one that failed', async () => {
    const { ctx } = await testContext(pins);
    const gpio = gpioOnDriver(ctx, new FakeDriver(27));
    expect(gpio.trigger).not.toBeNull();
    expect(gpio.led).toBeNull();
    expect(gpio.problem).toBe('LED: cannot open BCM 27: EBUSY');
    expect(gpio.describe()).toMatch(/trigger BCM 17 \(gpio529.*\), failed LED: cannot open BCM 27: EBUSY$/);
  });
});

describe('GpioExtension', () => {
  async function started(overrides: Record<string, unknown> = {}, simulate = true): Promise<{ ctx: AgentContext; part: GpioExtension }> {
    const { ctx } = await testContext(overrides);
    const part = new GpioExtension(ctx, { simulate });
    await part.start();
    return { ctx, part };
  }

  it('turns a press of the trigger into a trigger event from "gpio"', async () => {
    const { ctx, part } = await started();
    const triggers: unknown[] = [];
    ctx.events.on('trigger', (t) => triggers.push(t));
    (part.parts!.trigger as SimulatedTrigger).press();
    expect(triggers).toEqual([{ source: 'gpio' }]);
    await part.stop();
  });

  it('shows starting, then running, offline while the broker is down, and error while a part is degraded', async () => {
    const { ctx, part } = await started();
    const led = (): string => part.parts!.led!.pattern;
    expect(led()).toBe('starting');
    ctx.events.emit('broker', { connected: true });
    expect(led()).toBe('running');
    ctx.events.emit('broker', { connected: false });
    expect(led()).toBe('offline');
    ctx.degraded.set('camera', 'gone');
    ctx.events.emit('health', { part: 'camera', degraded: true, reason: 'gone' });
    expect(led()).toBe('error');
    ctx.degraded.delete('camera');
    ctx.events.emit('health', { part: 'camera', degraded: false, reason: null });
    expect(led()).toBe('offline');
    ctx.events.emit('broker', { connected: true });
    expect(led()).toBe('running');
    await part.stop();
    expect(part.parts).toBeNull();
    expect(ctx.events.listenerCount('broker') + ctx.events.listenerCount('health') + ctx.events.listenerCount('result')).toBe(0);
  });

  it('counts the first result as running when there is no broker', async () => {
    const { ctx, part } = await started();
    ctx.events.emit('result', {} as never);
    expect(part.parts!.led!.pattern).toBe('running');
    await part.stop();
  });

  itWhenPresent(boardHasGpio)('marks gpio degraded when configured GPIO cannot be used, and the agent goes on', async () => {
    const { ctx } = await testContext(pins);
    const health: unknown[] = [];
    ctx.events.on('health', (h) => health.push(h));
    const part = new GpioExtension(ctx, { simulate: false });
    await part.start();
    expect(part.parts!.trigger).toBeNull();
    expect(ctx.degraded.get('gpio')).toMatch(/no usable sysfs GPIO/);
    expect(health).toEqual([{ part: 'gpio', degraded: true, reason: ctx.degraded.get('gpio') }]);
    await part.stop();
  });
});
