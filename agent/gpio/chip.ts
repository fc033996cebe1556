import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError } from './gpio.js';

export const SYSFS_GPIO = '/sys/class/gpio';

/** A GPIO controller as sysfs lists it. */
export interface GpioChip {
  /** gpiochip<base>, the directory under the sysfs root. */
  name: string;
  label: string;
  /** The sysfs number of the chip's first line: 0 on older kernels, 512 or 571 on 6.6+. */
  base: number;
  ngpio: number;
}

/**
 * Labels of the controllers whose lines are the 40-pin header's BCM numbers, preferred in
 * this order: on a Pi 5 the header is on RP1, and the SoC's own GPIO chips are not.
 */
const HEADER_CHIPS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

async function readValue(dir: string, key: string): Promise<string> {
  const file = join(dir, key);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new GpioError(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function readCount(dir: string, key: string): Promise<number> {
  const text = await readValue(dir, key);
  if (!/^[0-9]+$/.test(text)) throw new GpioError(`${join(dir, key)}: ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

/**
 * The header's GPIO chip under a sysfs root such as /sys/class/gpio. Since kernel 6.6
 * sysfs numbers lines from a base chosen at boot (512 on a Pi 4, 571 on a Pi 5), so the
 * base is read, never assumed.
 */
export async function findGpioChip(root: string = SYSFS_GPIO): Promise<GpioChip> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    throw new GpioError(`${root}: ${(err as Error).message}`, { cause: err });
  }
  const chips: GpioChip[] = [];
  for (const name of entries.filter((n) => /^gpiochip[0-9]+$/.test(n))) {
    const dir = join(root, name);
    chips.push({ name, label: await readValue(dir, 'label'), base: await readCount(dir, 'base'), ngpio: await readCount(dir, 'ngpio') });
  }
  for (const label of HEADER_CHIPS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  const found = chips.length ? chips.map((c) => `${c.name} (${c.label})`).join(', ') : 'no gpiochip entries';
  throw new GpioError(`${root}: no Raspberry Pi header GPIO chip (${HEADER_CHIPS.join(', ')}); found ${found}`);
}

/** The sysfs GPIO number of a BCM pin on the chip. */
export function sysfsNumber(chip: GpioChip, bcm: number): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) {
    throw new GpioError(`BCM ${bcm} is not a line of ${chip.name} (${chip.label}, ${chip.ngpio} lines)`);
  }
  return chip.base + bcm;
}
