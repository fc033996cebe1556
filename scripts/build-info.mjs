#!/usr/bin/env node
// Writes <dir>/build-info.json: what identifies a build wherever it runs. The package
// version, the git commit (with "+dirty" and a hash of the files when the working tree
// differs from it; a hash of the files alone outside git) and the build time. The agent
// publishes it (telemetry, Home Assistant's sw_version, edge_agent_build_info) and
// scripts/deploy status lists it per release. Usage: build-info.mjs DIR [ROOT]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sha256 over the relative paths and contents of every file under `dir`, in sorted order. */
function contentHash(dir) {
  const hash = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name !== 'build-info.json') hash.update(`${relative(dir, path)}\0`).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}

function gitCommit(root) {
  try {
    const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { sha: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null;
  }
}

/** Writes `dir`/build-info.json for the checkout at `root`; `hashed` is the folder whose files identify the build. */
export function writeBuildInfo(dir, root, hashed = dir) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const git = gitCommit(root);
  const commit = git ? (git.dirty ? `${git.sha}+dirty.${contentHash(hashed)}` : git.sha) : `content.${contentHash(hashed)}`;
  const info = { version, commit, builtAt: new Date().toISOString() };
  writeFileSync(join(dir, 'build-info.json'), `${JSON.stringify(info)}\n`);
  return info;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, root = '.'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: build-info.mjs DIR [ROOT]');
    process.exit(64);
  }
  writeBuildInfo(dir, root);
}
