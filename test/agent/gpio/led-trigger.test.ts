// The status LED's pattern timing (fake timers) and the trigger input, on in-process pins.
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedPattern } from '../../../agent/gpio/gpio.js';
import { LED_PATTERNS, PinLed } from '../../../agent/gpio/led.js';
import type { InputPin, Level, OutputPin } from '../../../agent/gpio/pins.js';
import { PinTrigger } from '../../../agent/gpio/trigger.js';

interface LogLine {
  level: number;
  msg: string;
}

function logger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) }), lines };
}

/** An output pin that records each write with the (fake) time it happened. */
class RecordingPin implements OutputPin {
  writes: Array<[ms: number, level: Level]> = [];
  released = false;
  failing = false;
  write(level: Level): void {
    if (this.failing) throw new Error('EIO: i/o error, write');
    this.writes.push([Date.now(), level]);
  }
  release(): void {
    this.released = true;
  }
}

describe('PinLed', () => {
  let pin: RecordingPin;
  let led: PinLed;
  let lines: LogLine[];

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(0);
    pin = new RecordingPin();
    const l = logger();
    lines = l.lines;
    led = new PinLed(pin, l.log, 'BCM 27');
  });
  afterEach(() => vi.useRealTimers());

  async function run(pattern: LedPattern, ms: number): Promise<Array<[number, Level]>> {
    const from = Date.now();
    pin.writes = [];
    led.show(pattern);
    await vi.advanceTimersByTimeAsync(ms);
    return pin.writes.map(([t, level]) => [t - from, level]);
  }

  it('blinks fast (100 ms on, 100 ms off) while starting', async () => {
    expect(await run('starting', 450)).toEqual([[0, 1], [100, 0], [200, 1], [300, 0], [400, 1]]);
  });

  it('blinks slowly (1 s on, 1 s off) while the broker is offline', async () => {
    expect(await run('offline', 4500)).toEqual([[0, 1], [1000, 0], [2000, 1], [3000, 0], [4000, 1]]);
  });

  it('double-blinks every 1.5 s on error', async () => {
    expect(await run('error', 3200)).toEqual([
      [0, 1], [150, 0], [300, 1], [450, 0],
      [1500, 1], [1650, 0], [1800, 1], [1950, 0],
      [3000, 1], [3150, 0],
    ]);
  });

  it('is steadily on while running and off when off, with no timer left behind', async () => {
    expect(await run('running', 5000)).toEqual([[0, 1]]);
    expect(vi.getTimerCount()).toBe(0);
    expect(await run('off', 5000)).toEqual([[0, 0]]);
    expect(led.pattern).toBe('off');
  });

  it('drops the old pattern at once on a change, and does not restart the same one', async () => {
    led.show('offline');
    await vi.advanceTimersByTimeAsync(500);
    expect(await run('offline', 600)).toEqual([[500, 0]]);
    expect(await run('starting', 250)).toEqual([[0, 1], [100, 0], [200, 1]]);
    expect(vi.getTimerCount()).toBe(1);
    expect(led.pattern).toBe('starting');
  });

  it('turns off, releases the pin and clears its timer on close; shows nothing after', async () => {
    led.show('error');
    await vi.advanceTimersByTimeAsync(200);
    await led.close();
    expect(pin.writes.at(-1)?.[1]).toBe(0);
    expect(pin.released).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    const count = pin.writes.length;
    led.show('running');
    await vi.advanceTimersByTimeAsync(5000);
    expect(pin.writes).toHaveLength(count);
    expect(led.pattern).toBe('off');
  });

  it('logs a failing pin once and stops blinking, without throwing', async () => {
    pin.failing = true;
    led.show('starting');
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['the status LED cannot be written; it stays as it is']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('has a cycle for every pattern, steady ones a single step', () => {
    for (const [name, steps] of Object.entries(LED_PATTERNS)) {
      expect(steps.length, name).toBeGreaterThan(0);
      if (steps.length > 1) expect(steps.every(([, ms]) => ms > 0), name).toBe(true);
    }
  });
});

/** An input pin whose edges the test makes. */
class ScriptedInput implements InputPin {
  private onEdge: ((err: Error | null, level: Level) => void) | null = null;
  released = false;
  watch(onEdge: (err: Error | null, level: Level) => void): void {
    this.onEdge = onEdge;
  }
  release(): void {
    this.released = true;
  }
  edge(err: Error | null = null): void {
    this.onEdge?.(err, 1);
  }
}

describe('PinTrigger', () => {
  it('calls every listener on each edge the pin reports', () => {
    const pin = new ScriptedInput();
    const trigger = new PinTrigger(pin, logger().log, 'BCM 17');
    const seen: string[] = [];
    trigger.onTrigger(() => seen.push('a'));
    trigger.onTrigger(() => seen.push('b'));
    pin.edge();
    pin.edge();
    expect(seen).toEqual(['a', 'b', 'a', 'b']);
  });

  it('logs pin errors and failing listeners without stopping the others', () => {
    const pin = new ScriptedInput();
    const { log, lines } = logger();
    const trigger = new PinTrigger(pin, log, 'BCM 17');
    let calls = 0;
    trigger.onTrigger(() => {
      throw new Error('listener bug');
    });
    trigger.onTrigger(() => calls++);
    pin.edge(new Error('EIO'));
    expect(calls).toBe(0);
    pin.edge();
    expect(calls).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(['the trigger input reported an error', 'a trigger listener failed']);
  });

  it('releases the pin on close and ignores edges after', async () => {
    const pin = new ScriptedInput();
    const trigger = new PinTrigger(pin, logger().log, 'BCM 17');
    let calls = 0;
    trigger.onTrigger(() => calls++);
    await trigger.close();
    pin.edge();
    expect(pin.released).toBe(true);
    expect(calls).toBe(0);
  });
});
