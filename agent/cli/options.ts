import { InvalidArgumentError, Option } from 'commander';

export function positiveInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    return Number(value);
  };
}

export function nonNegativeInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be an integer of 0 or more, got '${value}'`);
    return Number(value);
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${value}'`);
    return n;
  };
}

export const engineOption = () =>
  new Option('--engine <engine>', 'kernel engine').choices(['auto', 'native', 'js']).default('auto');

export const threadsOption = () =>
  new Option('--threads <n>', 'threads for inference').argParser(positiveInteger('--threads')).default(1);
