// GPIO numbering from fake sysfs trees shaped like a Pi 4 and a Pi 5 on kernel 6.6+, an
// older kernel (base 0) and a board that is no Pi; and the onoff adapter's use of it,
// with a stand-in for onoff's Gpio class (onoff itself needs a real /sys/class/gpio).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findGpioChip, sysfsNumber, type GpioChip } from '../../../agent/gpio/chip.js';
import { GpioError } from '../../../agent/gpio/gpio.js';
import { OnoffDriver, type OnoffGpioClass } from '../../../agent/gpio/onoff-driver.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'edge-agent-sysfs-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A /sys/class/gpio look-alike: export/unexport files and one directory per chip. */
function sysfs(chips: Array<[base: number, label: string, ngpio: number]>, exported: number[] = []): string {
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');
  for (const [base, label, ngpio] of chips) {
    const dir = join(root, `gpiochip${base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'base'), `${base}\n`);
    writeFileSync(join(dir, 'label'), `${label}\n`);
    writeFileSync(join(dir, 'ngpio'), `${ngpio}\n`);
  }
  for (const n of exported) mkdirSync(join(root, `gpio${n}`));
  return root;
}

const pi4 = (): string => sysfs([[512, 'pinctrl-bcm2711', 58], [570, 'raspberrypi-exp-gpio', 8]], [529]);
const pi5 = (): string =>
  sysfs([
    [512, 'gpio-brcmstb@107d508500', 32],
    [544, 'gpio-brcmstb@107d508520', 4],
    [548, 'gpio-brcmstb@107d517c00', 17],
    [565, 'gpio-brcmstb@107d517c20', 6],
    [571, 'pinctrl-rp1', 54],
  ]);

describe('findGpioChip', () => {
  it('finds the Pi 4 header chip at base 512 on kernel 6.6+', async () => {
    const chip = await findGpioChip(pi4());
    expect(chip).toEqual({ name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 });
    expect(sysfsNumber(chip, 17)).toBe(529);
  });

  it('finds the Pi 5 header on RP1 at base 571, not the SoC chips before it', async () => {
    const chip = await findGpioChip(pi5());
    expect(chip).toMatchObject({ name: 'gpiochip571', label: 'pinctrl-rp1', base: 571 });
    expect(sysfsNumber(chip, 17)).toBe(588);
  });

  it('uses base 0 on older kernels (Pi 3, Zero 2 W)', async () => {
    const chip = await findGpioChip(sysfs([[0, 'pinctrl-bcm2835', 54], [504, 'raspberrypi-exp-gpio', 8]]));
    expect(chip).toMatchObject({ label: 'pinctrl-bcm2835', base: 0 });
    expect(sysfsNumber(chip, 4)).toBe(4);
  });

  it('refuses a board with no Raspberry Pi header chip, listing what it found', async () => {
    await expect(findGpioChip(sysfs([[0, 'sunxi-pinctrl', 224]]))).rejects.toThrow(
      `${root}: no Raspberry Pi header GPIO chip (pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835); found gpiochip0 (sunxi-pinctrl)`,
    );
  });

  it('names the path when sysfs is missing or unreadable', async () => {
    await expect(findGpioChip(join(root, 'nowhere'))).rejects.toThrow(new RegExp(`^${root}/nowhere: ENOENT`));
    pi4();
    writeFileSync(join(root, 'gpiochip512', 'base'), 'five hundred\n');
    const err = await findGpioChip(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpioError);
    expect((err as Error).message).toBe(`${root}/gpiochip512/base: "five hundred" is not a number`);
  });

  it('refuses a BCM pin beyond the chip', async () => {
    const chip = await findGpioChip(pi4());
    expect(() => sysfsNumber(chip, 58)).toThrow('BCM 58 is not a line of gpiochip512 (pinctrl-bcm2711, 58 lines)');
  });
});

describe('OnoffDriver', () => {
  /** Records how onoff's Gpio would be constructed and used. */
  function fakeOnoff(fail?: string) {
    const made: unknown[][] = [];
    const events: string[] = [];
    let watcher: ((err: Error | null | undefined, value: 0 | 1) => void) | null = null;
    class Gpio {
      constructor(...args: unknown[]) {
        if (fail) throw new Error(fail);
        made.push(args);
      }
      writeSync(v: number) {
        events.push(`write ${v}`);
      }
      watch(cb: (err: Error | null | undefined, value: 0 | 1) => void) {
        watcher = cb;
      }
      unexport() {
        events.push('unexport');
      }
    }
    return { Gpio: Gpio as unknown as OnoffGpioClass, made, events, edge: (err: Error | null, v: 0 | 1) => watcher?.(err, v) };
  }
  const chip: GpioChip = { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 };

  it('opens pins at base + BCM with the trigger options onoff takes', () => {
    const onoff = fakeOnoff();
    const driver = new OnoffDriver(onoff.Gpio, chip);
    expect(driver.description).toBe('gpiochip571 (pinctrl-rp1, base 571)');
    const led = driver.output(27);
    const trigger = driver.input(17, { edge: 'falling', debounceMs: 50, activeLow: true });
    expect(onoff.made).toEqual([[598, 'low'], [588, 'in', 'falling', { debounceTimeout: 50, activeLow: true }]]);
    const seen: Array<[Error | null, number]> = [];
    trigger.watch((err, level) => seen.push([err, level]));
    onoff.edge(null, 0);
    expect(seen).toEqual([[null, 0]]);
    led.write(1);
    led.release();
    trigger.release();
    expect(onoff.events).toEqual(['write 1', 'unexport', 'unexport']);
  });

  it('names the pin, the sysfs line and the chip when onoff cannot open it', () => {
    const driver = new OnoffDriver(fakeOnoff("EACCES: permission denied, open '/sys/class/gpio/export'").Gpio, chip);
    expect(() => driver.input(17, { edge: 'rising', debounceMs: 0, activeLow: false })).toThrow(
      "cannot open BCM 17 (sysfs gpio588 on gpiochip571 (pinctrl-rp1, base 571)) as an input: EACCES: permission denied, open '/sys/class/gpio/export'",
    );
    expect(() => driver.output(99)).toThrow('BCM 99 is not a line of gpiochip571 (pinctrl-rp1, 54 lines)');
  });
});
