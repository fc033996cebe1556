#!/usr/bin/env node
// Marks a build folder as ES modules. The package root is CommonJS, so that pm2 can
// require() ecosystem.config.js (a bare `pm2 start` looks for that name); the sources and
// their compiled output are ES modules, which the folders' own package.json files say.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

for (const dir of process.argv.slice(2)) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
}
