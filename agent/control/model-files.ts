import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { configPath } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';

/** A model file and its labels file (null: the labels stored in the model), as absolute paths. */
export interface ModelChoice {
  file: string;
  labels: string | null;
  /** Its name in results; by default the file's name without .tflite. */
  name?: string;
  /** The file's sha256 when it was just checked (a pushed model), so that it is not read again. */
  sha256?: string;
}

/** The model and labels of the configuration. */
export function configuredModel(config: AgentConfig): ModelChoice {
  return { file: configPath(config.model.file), labels: config.model.labels === null ? null : configPath(config.model.labels) };
}

/** Where reload-model may load models and labels from: model.dirs (by default the install's models/), then <dataDir>/models. */
export function modelDirs(config: AgentConfig, dataDir: string): string[] {
  return [...config.model.dirs.map(configPath), join(dataDir, 'models')];
}

/**
 * The real path of `file` when it is a regular file inside one of `dirs`, both with
 * symlinks resolved, else null (whatever the reason: outside, missing, a folder, ".."
 * anywhere, so that a caller cannot tell them apart). A relative `file` is looked for in
 * each directory in turn.
 */
export async function fileInModelDirs(file: string, dirs: string[]): Promise<string | null> {
  if (file.split(/[/\\]/).includes('..')) return null;
  const realDirs = (await Promise.all(dirs.map(real))).filter((d) => d !== null);
  for (const candidate of isAbsolute(file) ? [file] : dirs.map((dir) => join(dir, file))) {
    const found = await real(candidate);
    if (found && realDirs.some((dir) => within(dir, found)) && (await stat(found).catch(() => null))?.isFile()) return found;
  }
  return null;
}

/** The path with every symlink resolved, or null when it does not resolve. */
async function real(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch {
    return null;
  }
}

function within(dir: string, file: string): boolean {
  const path = relative(dir, file);
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}
