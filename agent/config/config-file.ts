import { existsSync } from 'node:fs';

/** Where a Raspberry Pi install keeps its configuration (docs/deploy.md). */
export const SYSTEM_CONFIG_FILE = '/etc/edge-agent/config.yaml';

/** The configuration file to read, and what chose it. */
export interface ConfigFile {
  path: string;
  chosenBy: '--config' | 'EDGE_AGENT_CONFIG' | 'system file';
}

export interface ConfigFileChoice {
  /** The --config flag's value. */
  flag?: string;
  env?: NodeJS.ProcessEnv;
  /** The file read when neither names one, if it exists. */
  systemFile?: string;
}

/**
 * The file `run`, `doctor` and `fleet` read: --config, then EDGE_AGENT_CONFIG (what the pm2
 * ecosystem file passes), then the system file if present; null: the defaults only. A file
 * that is named but missing is still chosen, so that loading it says so.
 */
export function resolveConfigFile({ flag, env = process.env, systemFile = SYSTEM_CONFIG_FILE }: ConfigFileChoice = {}): ConfigFile | null {
  if (flag) return { path: flag, chosenBy: '--config' };
  const named = env.EDGE_AGENT_CONFIG;
  if (named) return { path: named, chosenBy: 'EDGE_AGENT_CONFIG' };
  if (existsSync(systemFile)) return { path: systemFile, chosenBy: 'system file' };
  return null;
}

/** One line for doctor and the log: which file was read, and why that one. */
export function describeConfigFile(file: ConfigFile | null, systemFile = SYSTEM_CONFIG_FILE): string {
  if (file === null) return `the defaults only (no --config, no EDGE_AGENT_CONFIG, no ${systemFile})`;
  return `${file.path} (${file.chosenBy === 'system file' ? 'the system file' : `from ${file.chosenBy}`})`;
}
