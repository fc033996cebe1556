import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDir } from './install-dir.js';

/** What identifies the running build (scripts/build-info.mjs writes it next to the compiled code). */
export interface BuildInfo {
  version: string;
  /** The git commit, "<sha>+dirty.<hash>" for a changed working tree, "content.<hash>" outside git; null when not recorded. */
  commit: string | null;
  builtAt: string | null;
}

let cached: BuildInfo | undefined;

/** The build's identity: dist/build-info.json, else (running from the sources) the package version alone. */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const { version } = JSON.parse(readFileSync(join(installDir, 'package.json'), 'utf8')) as { version: string };
  let recorded: Partial<BuildInfo> = {};
  try {
    recorded = JSON.parse(readFileSync(join(installDir, 'dist', 'build-info.json'), 'utf8')) as Partial<BuildInfo>;
  } catch {
    // not a build (tests and development run the sources)
  }
  cached = { version: recorded.version ?? version, commit: recorded.commit ?? null, builtAt: recorded.builtAt ?? null };
  return cached;
}

/** One string for where a version string fits (Home Assistant's sw_version): "0.1.0 (abc123def456)". */
export function versionText(info: BuildInfo = buildInfo()): string {
  return info.commit ? `${info.version} (${info.commit.slice(0, 12)}${info.commit.includes('+dirty') ? '+dirty' : ''})` : info.version;
}
