// reload-model's directory rule (agent/control/model-files.ts) on real files: a model or
// label file is accepted only inside the configured model directories, symlinks resolved,
// never through "..", and a refusal does not tell whether the file exists (the command's
// one error for it is checked in reload-model.test.ts).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import { installDir } from '../../agent/core/install-dir.js';
import { fileInModelDirs, modelDirs } from '../../agent/control/model-files.js';

let root: string;
let dirs: string[];
let outside: string;

beforeAll(async () => {
  root = await realpath(mkdtempSync(join(tmpdir(), 'edge-agent-model-files-')));
  const [a, b] = [join(root, 'a'), join(root, 'b')];
  outside = join(root, 'elsewhere');
  for (const dir of [a, join(b, 'sub'), outside]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(a, 'one.tflite'), 'model one');
  writeFileSync(join(b, 'two.tflite'), 'model two');
  writeFileSync(join(b, 'sub', 'three.tflite'), 'model three');
  writeFileSync(join(outside, 'secret.tflite'), 'not for loading');
  symlinkSync(join(outside, 'secret.tflite'), join(a, 'escape.tflite'));
  symlinkSync(join(b, 'two.tflite'), join(a, 'inside.tflite'));
  mkdirSync(join(a, 'folder.tflite'));
  // A model directory reached through a symlink (an install under a "current" link).
  symlinkSync(b, join(root, 'b-link'));
  dirs = [a, join(root, 'b-link'), join(root, 'missing')];
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('fileInModelDirs', () => {
  it('accepts a file inside a model directory, by absolute path or by a name relative to the directories', async () => {
    expect(await fileInModelDirs(join(root, 'a', 'one.tflite'), dirs)).toBe(join(root, 'a', 'one.tflite'));
    expect(await fileInModelDirs(join(root, 'b-link', 'two.tflite'), dirs)).toBe(join(root, 'b', 'two.tflite'));
    expect(await fileInModelDirs('two.tflite', dirs)).toBe(join(root, 'b', 'two.tflite'));
    expect(await fileInModelDirs('sub/three.tflite', dirs)).toBe(join(root, 'b', 'sub', 'three.tflite'));
    // A symlink that stays inside the directories (here from one to another) is followed.
    expect(await fileInModelDirs('inside.tflite', dirs)).toBe(join(root, 'b', 'two.tflite'));
  });

  it('refuses "..", paths outside, symlinks leading out, folders and missing files alike', async () => {
    const refused = [
      '../elsewhere/secret.tflite',
      `${root}/a/../elsewhere/secret.tflite`,
      `${root}/a/../a/one.tflite`,
      'sub/../two.tflite',
      join(outside, 'secret.tflite'),
      join(outside, 'missing.tflite'),
      'escape.tflite',
      join(root, 'a', 'escape.tflite'),
      'folder.tflite',
      'nowhere.tflite',
      '/etc/passwd',
      join(root, 'missing', 'x.tflite'),
    ];
    for (const file of refused) expect(await fileInModelDirs(file, dirs), file).toBeNull();
  });

  it('refuses a file outside before and after it exists', async () => {
    const file = join(outside, 'later.tflite');
    expect(await fileInModelDirs(file, dirs)).toBeNull();
    writeFileSync(file, 'now it exists');
    expect(await fileInModelDirs(file, dirs)).toBeNull();
  });
});

describe('modelDirs', () => {
  it('defaults to the install\'s models/ and <dataDir>/models; configured ones are relative to the install directory, and <dataDir>/models is always searched', async () => {
    const { config } = await loadConfig({ env: {} });
    expect(config.model.dirs).toEqual(['models']);
    expect(modelDirs(config, '/var/lib/edge-agent')).toEqual([join(installDir, 'models'), '/var/lib/edge-agent/models']);
    const { config: configured } = await loadConfig({ env: {}, overrides: { model: { dirs: ['my-models', '/opt/models'] } } });
    expect(modelDirs(configured, '/var/lib/edge-agent')).toEqual([join(installDir, 'my-models'), '/opt/models', '/var/lib/edge-agent/models']);
    await expect(loadConfig({ env: {}, overrides: { model: { dirs: 'models' } } })).rejects.toThrow(/model\.dirs/);
  });
});
