import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import { installDir } from '../core/install-dir.js';
import type { ConfigFile } from './config-file.js';
import { agentConfigSchema, configRules, defaultConfig, type ConfigProblem } from './definition.js';
import type { AgentConfig } from './types.js';

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

/** What to do instead of a file that holds no settings, by what chose the file. */
const withoutTheFile: Record<ConfigFile['chosenBy'], string> = {
  '--config': 'leave --config out',
  EDGE_AGENT_CONFIG: 'unset EDGE_AGENT_CONFIG',
  'system file': 'remove it',
};

/**
 * The user's configuration file as a mapping. It must hold settings: an empty one is more
 * likely a failed copy than a wish for the defaults (those need no file).
 */
async function readUserFile({ path, chosenBy }: ConfigFile): Promise<JsonObject> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a configuration file' : (err as Error).message;
    throw new ConfigError([`${path}: ${cause}${chosenBy === 'EDGE_AGENT_CONFIG' ? ' (named by EDGE_AGENT_CONFIG)' : ''}`]);
  }
  let text: string;
  try {
    if (bytes.includes(0)) throw new Error('NUL byte');
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError([`${path}: not a text file (a configuration is YAML text)`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    // The first error only: the ones after it are mostly its consequences.
    throw new ConfigError([`${path}: ${doc.errors[0].message.split('\n')[0].replace(/:$/, '')}`]);
  }
  const value = doc.toJSON() as Json;
  if (value === null || value === undefined) {
    throw new ConfigError([`${path}: holds no settings (empty, or only comments); ${withoutTheFile[chosenBy]} to run on the defaults`]);
  }
  if (!isObject(value)) throw new ConfigError([`${path}: the top level must be a mapping of sections`]);
  return value;
}

/** Variables named EDGE_AGENT_* that are not configuration keys. */
const otherVariables = new Set(['EDGE_AGENT_KERNEL_PATH', 'EDGE_AGENT_FLEET_TOKEN', 'EDGE_AGENT_CONFIG']);

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
  // A list is colon-separated, as PATH is.
  if (types.includes('array')) return raw.split(':');
  // A mapping (objects.filters) is written as JSON; what does not parse is left for the schema to refuse.
  if (types.includes('object')) {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      return raw;
    }
  }
  if (types.includes('boolean') && /^(true|false|1|0)$/.test(raw)) return raw === 'true' || raw === '1';
  if ((types.includes('integer') || types.includes('number')) && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (node.enum?.some((e) => typeof e === 'number') && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

interface EnvironmentLayer {
  values: JsonObject;
  /** The variable that set each key, by JSON pointer ('/camera/fps'). */
  variables: Map<string, string>;
}

function fromEnvironment(env: NodeJS.ProcessEnv, schema: SchemaNode, warnings: string[]): EnvironmentLayer {
  let values: JsonObject = {};
  const variables = new Map<string, string>();
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
    values = merge(values, value) as JsonObject;
    variables.set(`/${path.join('/')}`, name);
  }
  return { values, variables };
}

/** Where a key's value came from. */
type Origin =
  | { from: 'file'; file: string }
  | { from: 'environment'; variable: string }
  | { from: 'flag' }
  | { from: 'defaults' };

/**
 * How a problem about `key` starts: the file and the key, the variable alone (it is what the
 * user wrote, and names the key), 'flag' and the key, or the key alone for a default.
 */
function at(origin: Origin, key: string): string {
  switch (origin.from) {
    case 'file':
      return `${origin.file}: ${key}`;
    case 'environment':
      return origin.variable;
    case 'flag':
      return `flag ${key}`;
    case 'defaults':
      return key;
  }
}

/** Where another key involved in a problem was set. */
function setBy(origin: Origin): string {
  switch (origin.from) {
    case 'file':
      return `set in ${origin.file}`;
    case 'environment':
      return `set by ${origin.variable}`;
    case 'flag':
      return 'set by a flag';
    case 'defaults':
      return 'the default';
  }
}

const keyOf = (pointer: string): string => pointer.slice(1).replaceAll('/', '.') || '(top level)';
const pointerOf = (key: string): string => `/${key.replaceAll('.', '/')}`;

function describe(error: ErrorObject, originOf: (pointer: string) => Origin): string {
  // An unknown key is blamed on whoever wrote that key, not on whoever wrote its section.
  const blamed = error.keyword === 'additionalProperties'
    ? `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`
    : error.instancePath;
  const where = at(originOf(blamed), keyOf(error.instancePath));
  // A key that breaks propertyNames (a zone name): the name's own problem says what is wrong.
  if (error.propertyName !== undefined) return `${where}: the name '${error.propertyName}' ${error.message}`;
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
   * A problem found after loading that starts with a key path ("mqtt.tls.ca: cannot read
   * ..."), with where that key was set, as the loader's own problems say it.
   */
  blame(problem: string): string;
  /** Problems that did not stop loading, e.g. an EDGE_AGENT_ variable that names no key. */
  warnings: string[];
  /** Who set a key ("set in FILE", "set by VARIABLE", "set by a flag"), or null when it is the default. */
  setBy(key: string): string | null;
}

export interface LoadOptions {
  /** The user's configuration file: a path is taken as given with --config. */
  file?: string | ConfigFile | null;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, as a partial configuration. */
  overrides?: JsonObject;
}

let validator: ValidateFunction | undefined;

/**
 * Defaults, then the user's file, then EDGE_AGENT_* variables, then flags; validated
 * against the schema, then by the rules across keys, with every problem listed by where
 * it came from and its key path.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const schema = agentConfigSchema as SchemaNode;
  const warnings: string[] = [];
  const file = typeof options.file === 'string' ? { path: options.file, chosenBy: '--config' as const } : options.file ?? null;
  const user: JsonObject = file ? await readUserFile(file) : {};
  const env = fromEnvironment(options.env ?? process.env, schema, warnings);
  const flags = options.overrides ?? {};
  const merged = [user, env.values, flags].reduce<Json>(merge, defaultConfig() as unknown as Json);

  const has = (root: Json, pointer: string): boolean =>
    pointer.split('/').slice(1).reduce<Json | undefined>((n, k) => (isObject(n) || Array.isArray(n) ? (n as Record<string, Json>)[k] : undefined), root) !== undefined;
  const variableFor = (pointer: string): string | undefined => {
    // The key itself, a list it is an item of, or (for a section) a key within it.
    for (let p = pointer; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) if (env.variables.has(p)) return env.variables.get(p);
    return pointer === '' ? undefined : [...env.variables].find(([p]) => p.startsWith(`${pointer}/`))?.[1];
  };
  const originOf = (pointer: string): Origin => {
    if (has(flags, pointer)) return { from: 'flag' };
    const variable = variableFor(pointer);
    if (variable) return { from: 'environment', variable };
    if (file && has(user, pointer)) return { from: 'file', file: file.path };
    return { from: 'defaults' };
  };

  validator ??= new Ajv({ allErrors: true, strict: false }).compile(agentConfigSchema);
  if (!validator(merged)) {
    throw new ConfigError((validator.errors ?? []).filter((e) => e.keyword !== 'propertyNames').map((e) => describe(e, originOf)));
  }
  const config = merged as unknown as AgentConfig;
  const problemLine = ({ key, problem, alongside = [] }: ConfigProblem): string => {
    const others = alongside.map((k) => `${k}: ${setBy(originOf(pointerOf(k)))}`);
    return `${at(originOf(pointerOf(key)), key)}: ${problem}${others.length > 0 ? ` (${others.join('; ')})` : ''}`;
  };
  const problems = configRules.map((r) => r.check(config)).filter((p) => p !== null);
  if (problems.length > 0) throw new ConfigError(problems.map(problemLine));
  config.device.id ??= hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'edge-agent';
  const blame = (problem: string): string => {
    const key = /^([A-Za-z]+(?:\.[A-Za-z]+)*): /.exec(problem)?.[1];
    return key ? `${at(originOf(pointerOf(key)), key)}${problem.slice(key.length)}` : problem;
  };
  const setKey = (key: string): string | null => {
    const origin = originOf(pointerOf(key));
    return origin.from === 'defaults' ? null : setBy(origin);
  };
  return { config, warnings, blame, setBy: setKey };
}

/** A path from the configuration: absolute as given, else relative to the install directory. */
export function configPath(path: string): string {
  return isAbsolute(path) ? path : join(installDir, path);
}
