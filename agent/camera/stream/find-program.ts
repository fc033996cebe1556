import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The full path of the first of `names` that is an executable on PATH, or null. */
export function findProgram(names: readonly string[], path = process.env.PATH ?? ''): { name: string; path: string } | null {
  for (const name of names) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return { name, path: candidate };
      } catch {
        // Not in this folder.
      }
    }
  }
  return null;
}
