import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whether `dir` holds edge-agent's own package.json (folders inside it hold ones that only mark ES modules). */
function isPackageRoot(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'edge-agent';
  } catch {
    return false;
  }
}

/** The directory holding the agent's package.json, whether running from source or from dist/. */
function findInstallDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  while (!isPackageRoot(dir)) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`edge-agent: no edge-agent package.json above ${here}`);
    dir = up;
  }
  return dir;
}

/** Where edge-agent is installed: relative paths in configuration files are resolved from here. */
export const installDir = findInstallDir();
