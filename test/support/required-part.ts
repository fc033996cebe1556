// Tests that need a part of the machine (root with mount rights, a board without GPIO, the
// native addon) run only where it is there. Elsewhere they are skipped with a loud line on
// stderr; in CI (CI=true), where .ci/run installs and sets up every part, a missing part
// is a failure instead, so a broken set-up can never pass as a green run.
import { it } from 'vitest';

export const inCi = process.env.CI === 'true';

/**
 * `it`, when the part is there (`whyNot` null); otherwise a test that fails in CI and a
 * loudly skipped one elsewhere.
 */
export function itWhenPresent(whyNot: string | null): typeof it {
  if (whyNot === null) return it;
  if (inCi) {
    return ((name: string, _fn?: unknown, timeout?: number) =>
      it(name, () => {
        throw new Error(`a part this test needs is missing in CI: ${whyNot}`);
      }, timeout)) as unknown as typeof it;
  }
  process.stderr.write(`\n*** SKIPPING tests that need: ${whyNot} ***\n\n`);
  return it.skip as unknown as typeof it;
}
