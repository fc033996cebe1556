import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { installDir } from '../core/install-dir.js';
import type { AgentConfig } from './types.js';

const schemaFile = join(installDir, 'config', 'agent.schema.json');
const defaultsFile = join(installDir, 'config', 'default.yaml');

/** A configuration problem: each line names where (file or variable, and key path) and what. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface SchemaNode {
  type?: string | string[];
  enum?: Json[];
  properties?: Record<string, SchemaNode>;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}

/**
 * A configuration file's mapping. The user's file must hold settings: an empty one is
 * more likely a failed copy than a wish for the defaults (those need no --config).
 */
async function readYaml(file: string, { user = false } = {}): Promise<Json> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a configuration file' : (err as Error).message;
    throw new ConfigError([`${file}: ${cause}`]);
  }
  let text: string;
  try {
    if (bytes.includes(0)) throw new Error('NUL byte');
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError([`${file}: not a text file (a configuration is YAML text)`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    // The first error only: the ones after it are mostly its consequences.
    throw new ConfigError([`${file}: ${doc.errors[0].message.split('\n')[0].replace(/:$/, '')}`]);
  }
  const value = doc.toJSON() as Json;
  if (value === null || value === undefined) {
    if (user) throw new ConfigError([`${file}: holds no settings (empty, or only comments); leave --config out to run on the defaults`]);
    return {};
  }
  if (!isObject(value)) throw new ConfigError([`${file}: the top level must be a mapping of sections`]);
  return value;
}

/** Problems the schema cannot express, by key path. */
function semanticProblems(config: AgentConfig): [string, string][] {
  const problems: [string, string][] = [];
  const url = config.mqtt.url;
  if (url !== null) {
    // mqtt.js would take 'mqtt://exa mple' as host 'exa' and 'mqtts://' as localhost, and retry forever.
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(['mqtt.url', `${JSON.stringify(url)} is not a valid URL`]);
    }
    if (parsed && parsed.hostname === '') problems.push(['mqtt.url', `${JSON.stringify(url)} names no host`]);
  }
  return problems;
}

/** Variables named EDGE_AGENT_* that are not configuration keys. */
const otherVariables = new Set(['EDGE_AGENT_KERNEL_PATH', 'EDGE_AGENT_FLEET_TOKEN']);

/**
 * Maps EDGE_AGENT_<SECTION>_<KEY> to a key path by walking the schema: the words after
 * the prefix are matched, case-insensitively and across underscores, to property names
 * (EDGE_AGENT_MODEL_TOP_K and EDGE_AGENT_MODEL_TOPK both reach model.topK).
 */
function envPath(words: string[], node: SchemaNode): string[] | null {
  if (words.length === 0) return [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    for (let n = 1; n <= words.length; n++) {
      if (words.slice(0, n).join('') !== key.toLowerCase()) continue;
      const rest = n === words.length ? [] : child.properties ? envPath(words.slice(n), child) : null;
      if (rest) return [key, ...rest];
    }
  }
  return null;
}

function envValue(raw: string, node: SchemaNode): Json {
  const types = [node.type ?? []].flat();
  if (raw === 'null' && types.includes('null')) return null;
  if (types.includes('boolean') && /^(true|false|1|0)$/.test(raw)) return raw === 'true' || raw === '1';
  if ((types.includes('integer') || types.includes('number')) && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (node.enum?.some((e) => typeof e === 'number') && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

function fromEnvironment(env: NodeJS.ProcessEnv, schema: SchemaNode, warnings: string[]): JsonObject {
  let out: JsonObject = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('EDGE_AGENT_') || raw === undefined || otherVariables.has(name)) continue;
    const path = envPath(name.slice('EDGE_AGENT_'.length).toLowerCase().split('_').filter(Boolean), schema);
    if (!path) {
      warnings.push(`${name} names no configuration key; ignored`);
      continue;
    }
    const node = path.reduce<SchemaNode>((n, k) => n.properties![k], schema);
    let value: Json = envValue(raw, node);
    for (const key of [...path].reverse()) value = { [key]: value };
    out = merge(out, value) as JsonObject;
  }
  return out;
}

function describe(error: ErrorObject, source: (path: string) => string): string {
  const path = error.instancePath || '/';
  // An unknown key is blamed on whoever wrote that key, not on whoever wrote its section.
  const blamed = error.keyword === 'additionalProperties'
    ? `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`
    : path;
  const where = `${source(blamed)}${path.slice(1).replaceAll('/', '.') || '(top level)'}`;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key '${(error.params as { additionalProperty: string }).additionalProperty}'`;
    case 'enum':
      return `${where}: must be one of ${(error.params as { allowedValues: Json[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${error.message}`;
  }
}

export interface LoadedConfig {
  config: AgentConfig;
  /**
   * Where a key was set, as problems are prefixed: '<file>: ', 'environment ' or 'flag '.
   * For problems found after loading (a TLS file that cannot be read, a camera option).
   */
  sourceOf(keyPath: string): string;
  /** Problems that did not stop loading, e.g. an EDGE_AGENT_ variable that names no key. */
  warnings: string[];
}

export interface LoadOptions {
  /** The user's configuration file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, as a partial configuration. */
  overrides?: JsonObject;
}

/**
 * Defaults, then the user's file, then EDGE_AGENT_* variables, then flags; validated
 * against the schema with every problem listed by where it came from and its key path.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const schema = JSON.parse(await readFile(schemaFile, 'utf8')) as SchemaNode;
  const warnings: string[] = [];
  let merged = await readYaml(defaultsFile);
  let user: Json = {};
  if (options.file) {
    user = await readYaml(options.file, { user: true });
    merged = merge(merged, user);
  }
  const env = fromEnvironment(options.env ?? process.env, schema, warnings);
  merged = merge(merged, env);
  merged = merge(merged, options.overrides ?? {});

  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const has = (root: Json, path: string): boolean =>
    path.split('/').slice(1).reduce<Json | undefined>((n, k) => (isObject(n) ? n[k] : undefined), root) !== undefined;
  const source = (path: string): string => {
    if (has(options.overrides ?? {}, path)) return 'flag ';
    if (has(env, path)) return 'environment ';
    if (has(user, path)) return `${options.file}: `;
    return `${defaultsFile}: `;
  };
  if (!validate(merged)) {
    throw new ConfigError((validate.errors ?? []).map((e) => describe(e, source)));
  }
  const config = merged as unknown as AgentConfig;
  const sourceOf = (keyPath: string): string => source(`/${keyPath.replaceAll('.', '/')}`);
  const problems = semanticProblems(config);
  if (problems.length > 0) throw new ConfigError(problems.map(([key, problem]) => `${sourceOf(key)}${key}: ${problem}`));
  config.device.id ??= hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'edge-agent';
  return { config, warnings, sourceOf };
}

/** A path from the configuration: absolute as given, else relative to the install directory. */
export function configPath(path: string): string {
  return isAbsolute(path) ? path : join(installDir, path);
}
