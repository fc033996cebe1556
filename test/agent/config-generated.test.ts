// The files generated from agent/config/definition.ts must be what it generates now. The
// test only reads them: `npm run docs:config` rewrites them.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema, defaultConfig } from '../../agent/config/definition.js';
import { generatedFiles } from '../../agent/config/generated-files.js';
import { repoRoot } from '../support/paths.js';

type Node = { description?: string; default?: unknown; properties?: Record<string, Node> };

function leaves(node: Node, path: string[] = []): [string, Node][] {
  return Object.entries(node.properties ?? {}).flatMap(([k, child]) => (child.properties ? leaves(child, [...path, k]) : [[[...path, k].join('.'), child] as [string, Node]]));
}

describe('files generated from the configuration definition', () => {
  it.each(generatedFiles(repoRoot).map((f) => [f.path, f.text]))('%s is up to date (npm run docs:config)', (path, text) => {
    expect(readFileSync(`${repoRoot}${path}`, 'utf8') === text, `${path} is out of date: run npm run docs:config`).toBe(true);
  });

  it('every key has a description and a default, and the defaults are valid', () => {
    const missing = leaves(agentConfigSchema as Node).filter(([, n]) => !n.description || !('default' in n)).map(([k]) => k);
    expect(missing).toEqual([]);
    const validate = new Ajv({ strict: false }).compile(agentConfigSchema);
    expect(validate(defaultConfig()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('config/default.yaml holds the defaults, and config/agent.schema.json the schema', () => {
    expect(parse(readFileSync(`${repoRoot}config/default.yaml`, 'utf8'))).toEqual(defaultConfig());
    expect(JSON.parse(readFileSync(`${repoRoot}config/agent.schema.json`, 'utf8'))).toEqual(JSON.parse(JSON.stringify(agentConfigSchema)));
  });
});
