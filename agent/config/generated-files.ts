// What the files generated from the configuration's definition must hold:
// config/agent.schema.json (for editors), config/default.yaml (the defaults, each key with its
// description) and the README's configuration reference. scripts/generate-config.mjs writes
// them; test/agent/config-generated.test.ts fails when one is out of date.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isMap, type Scalar, type YAMLMap } from 'yaml';
import { installDir } from '../core/install-dir.js';
import { agentConfigSchema, configRules, defaultConfig } from './definition.js';

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
}

const schema = agentConfigSchema as unknown as SchemaNode;
const COMMAND = 'npm run docs:config';
const BEGIN = '<!-- config-reference:begin -->';
const END = '<!-- config-reference:end -->';

// Keys in the order a reader of the JSON Schema looks for them: what it is, then its bounds, then its parts.
const KEY_ORDER = ['$schema', '$id', 'title', 'description', 'type', 'enum', 'default', 'pattern', 'minLength', 'maxLength', 'minimum', 'exclusiveMinimum', 'maximum', 'items', 'additionalProperties', 'properties', 'required'];

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== 'object' || value === null) return value;
  const rank = (k: string): number => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b));
  return Object.fromEntries(keys.map((k) => [k, ordered((value as Record<string, unknown>)[k])]));
}

/** config/agent.schema.json */
export function schemaJson(): string {
  return `${JSON.stringify(ordered(schema), null, 2)}\n`;
}

/** A description as comment lines of at most `width` characters. */
function comment(text: string, width: number): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.map((l) => ` ${l}`).join('\n');
}

/** config/default.yaml */
export function defaultsYaml(): string {
  const doc = new Document(defaultConfig());
  doc.commentBefore = comment(
    `edge-agent defaults, generated from agent/config/definition.ts by \`${COMMAND}\`: edit that file, not this one. ` +
      'A configuration file (--config FILE, else $EDGE_AGENT_CONFIG, else /etc/edge-agent/config.yaml if present) ' +
      'overrides these, EDGE_AGENT_<SECTION>_<KEY> variables override the file, and command-line flags override all. ' +
      'The README lists every key, its variable, and the rules across keys.',
    90,
  );
  const annotate = (map: YAMLMap, node: SchemaNode, depth: number): void => {
    for (const pair of map.items) {
      const key = pair.key as Scalar;
      const child = node.properties![key.value as string];
      key.commentBefore = comment(child.description ?? '', 90 - 2 * depth);
      if (depth === 0 && pair !== map.items[0]) key.spaceBefore = true;
      if (isMap(pair.value)) annotate(pair.value, child, depth + 1);
    }
  };
  annotate(doc.contents as YAMLMap, schema, 0);
  return doc.toString({ lineWidth: 0 });
}

// Placeholders such as <dataDir> go in code spans: Markdown would take them for HTML tags.
const cell = (text: string): string => text.replaceAll('|', '\\|').replace(/[^\s(]*<[^>]+>[^\s,;)]*/g, (m) => `\`${m}\``);

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (node.type === 'array') return node.items ? `list of ${typeOf(node.items)}s` : 'list';
  return [node.type].flat().join(' or ');
}

function rows(node: SchemaNode, path: string[], value: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const keyPath = [...path, key];
    if (child.properties) {
      out.push(...rows(child, keyPath, value[key] as Record<string, unknown>));
      continue;
    }
    const env = `\`EDGE_AGENT_${keyPath.map((k) => k.replace(/([a-z])([A-Z])/g, '$1_$2')).join('_').toUpperCase()}\`${child.type === 'array' ? ' (colon-separated)' : child.type === 'object' ? ' (JSON)' : ''}`;
    out.push(`| \`${keyPath.join('.')}\` | ${typeOf(child)} | \`${JSON.stringify(value[key])}\` | ${cell(child.description ?? '')} | ${env} |`);
  }
  return out;
}

/** The README's configuration reference: the table of keys, then the rules beyond it. */
export function referenceSection(): string {
  return [
    '| key | type | default | meaning | environment |',
    '|---|---|---|---|---|',
    ...rows(schema, [], defaultConfig() as unknown as Record<string, unknown>),
    '',
    'Rules the table cannot show, checked once every key has its type and range; a problem names',
    'each key involved and where it was set:',
    '',
    ...configRules.map((r) => `- ${r.rule}.`),
  ].join('\n');
}

/** The README with its configuration reference brought up to date. */
export function readmeWithReference(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const stop = readme.indexOf(END);
  if (start < 0 || stop < start) throw new Error(`README.md has no ${BEGIN} ... ${END} section`);
  return `${readme.slice(0, start + BEGIN.length)}\n${referenceSection()}\n${readme.slice(stop)}`;
}

/** Each generated file, relative to the install directory, with what it must hold. */
export function generatedFiles(root = installDir): { path: string; text: string }[] {
  return [
    { path: 'config/agent.schema.json', text: schemaJson() },
    { path: 'config/default.yaml', text: defaultsYaml() },
    { path: 'README.md', text: readmeWithReference(readFileSync(join(root, 'README.md'), 'utf8')) },
  ];
}
