#!/usr/bin/env node
// Writes the files generated from agent/config/definition.ts: config/agent.schema.json,
// config/default.yaml and the README's configuration reference. Run through
// `npm run docs:config`, which builds dist/ first.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../dist/agent/config/generated-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const { path, text } of generatedFiles(root)) {
  const file = join(root, path);
  if (readFileSync(file, 'utf8') === text) continue;
  writeFileSync(file, text);
  console.log(`wrote ${path}`);
}
