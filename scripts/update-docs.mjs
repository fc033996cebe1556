#!/usr/bin/env node
// Updates the docs' figures from the last test and benchmark runs (reports/, git-ignored) and
// renders every document that shows them: docs/reliability.md, docs/fleet-scale.md and the
// README's Performance section and device-page cost. Run through `npm run docs:update`, which
// builds dist/ first; bench/figures/docs.ts says what comes from where.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedDocs, updateFigures } from '../dist/bench/figures/docs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let failed = false;
try {
  for (const what of updateFigures(root)) console.log(`took ${what}`);
} catch (err) {
  console.error(`docs:update: ${err.message}`);
  process.exit(1);
}
// Each document on its own: one that lacks a figure does not hold back the others.
for (const doc of generatedDocs(root)) {
  let text;
  try {
    text = doc.render();
  } catch (err) {
    console.error(`docs:update: ${doc.path} not rendered: ${err.message}`);
    failed = true;
    continue;
  }
  const file = join(root, doc.path);
  if (readFileSync(file, 'utf8') === text) continue;
  writeFileSync(file, text);
  console.log(`wrote ${doc.path}`);
}
process.exitCode = failed ? 1 : 0;
