// The benchmarks' command lines: --help prints the usage, and an unknown option or a bad
// number is one line naming it, then the usage, exit 2; never a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** One line saying what was wrong, then the usage; exit 2. */
export function usageError(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

export function benchArgs<O extends Options>(usage: string, options: O): ReturnType<typeof parseArgs<{ options: O }>>['values'] {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    return usageError((err as Error).message, usage);
  }
}

/** `value` of option `name` as a whole number of at least `min`. */
export function wholeNumber(usage: string, name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usageError(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`, usage);
  return n;
}

/**
 * Runs a benchmark's body; a failure it cannot go on from (a model that does not load, a
 * peer that cannot start) is its message on stderr and exit 1.
 */
export function runBench(body: () => Promise<void>): void {
  body().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
