import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding the agent's package.json, whether running from source or from dist/. */
function findInstallDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`edge-agent: no package.json above ${dirname(fileURLToPath(import.meta.url))}`);
    dir = up;
  }
  return dir;
}

/** Where edge-agent is installed: relative paths in configuration files are resolved from here. */
export const installDir = findInstallDir();
