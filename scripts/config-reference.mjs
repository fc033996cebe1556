#!/usr/bin/env node
// Writes the configuration reference into README.md (between the config-reference
// markers) from config/agent.schema.json and config/default.yaml, so the README cannot
// drift from the schema. `--check` exits 1 when the README is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(root, 'config/agent.schema.json'), 'utf8'));
const defaults = parse(readFileSync(join(root, 'config/default.yaml'), 'utf8'));

function typeOf(node) {
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' \\| ');
  const types = [node.type].flat();
  return types.join(' or ');
}

function rows(node, path, value) {
  const out = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const keyPath = [...path, key];
    if (child.type === 'object') {
      out.push(...rows(child, keyPath, value?.[key]));
      continue;
    }
    const env = `EDGE_AGENT_${keyPath.map((k) => k.replace(/([a-z])([A-Z])/g, '$1_$2')).join('_').toUpperCase()}`;
    const def = value?.[key];
    out.push(`| \`${keyPath.join('.')}\` | ${typeOf(child)} | \`${JSON.stringify(def ?? null)}\` | ${child.description ?? ''} | \`${env}\` |`);
  }
  return out;
}

const table = [
  '| key | type | default | meaning | environment |',
  '|---|---|---|---|---|',
  ...rows(schema, [], defaults),
].join('\n');

const readme = join(root, 'README.md');
const text = readFileSync(readme, 'utf8');
const begin = '<!-- config-reference:begin -->';
const end = '<!-- config-reference:end -->';
const start = text.indexOf(begin);
const stop = text.indexOf(end);
if (start < 0 || stop < 0) {
  console.error(`README.md has no ${begin} ... ${end} section`);
  process.exit(1);
}
const updated = `${text.slice(0, start + begin.length)}\n${table}\n${text.slice(stop)}`;
if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error('README.md configuration reference is out of date: run npm run docs:config');
    process.exit(1);
  }
} else {
  writeFileSync(readme, updated);
}
