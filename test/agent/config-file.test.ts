// Which configuration file is read: resolveConfigFile, with the system file's path given so
// that a file of the test's own stands in for /etc/edge-agent/config.yaml.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfigFile, resolveConfigFile, SYSTEM_CONFIG_FILE } from '../../agent/config/config-file.js';
import { ConfigError, loadConfig } from '../../agent/config/load.js';

const dir = mkdtempSync('/tmp/edge-agent-config-file-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const systemFile = `${dir}/etc-config.yaml`;
writeFileSync(systemFile, 'camera:\n  fps: 7\n');
const absent = `${dir}/absent.yaml`;

describe('resolveConfigFile', () => {
  it('takes --config, then EDGE_AGENT_CONFIG, then the system file if present, then none', () => {
    const env = { EDGE_AGENT_CONFIG: '/srv/env.yaml' };
    expect(resolveConfigFile({ flag: '/srv/flag.yaml', env, systemFile })).toEqual({ path: '/srv/flag.yaml', chosenBy: '--config' });
    expect(resolveConfigFile({ env, systemFile })).toEqual({ path: '/srv/env.yaml', chosenBy: 'EDGE_AGENT_CONFIG' });
    expect(resolveConfigFile({ env: {}, systemFile })).toEqual({ path: systemFile, chosenBy: 'system file' });
    expect(resolveConfigFile({ env: {}, systemFile: absent })).toBeNull();
    // As the pm2 ecosystem file reads it: an empty variable names no file.
    expect(resolveConfigFile({ env: { EDGE_AGENT_CONFIG: '' }, systemFile: absent })).toBeNull();
  });

  it('looks for /etc/edge-agent/config.yaml unless told otherwise', () => {
    expect(SYSTEM_CONFIG_FILE).toBe('/etc/edge-agent/config.yaml');
    expect(describeConfigFile(null)).toBe('the defaults only (no --config, no EDGE_AGENT_CONFIG, no /etc/edge-agent/config.yaml)');
  });

  it('the system file, when present, is what loadConfig reads', async () => {
    const { config } = await loadConfig({ file: resolveConfigFile({ env: {}, systemFile }), env: {} });
    expect(config.camera.fps).toBe(7);
    expect(describeConfigFile(resolveConfigFile({ env: {}, systemFile }))).toBe(`${systemFile} (the system file)`);
  });

  it('says how to run on the defaults instead of an empty file, by what chose it', async () => {
    const empty = `${dir}/empty.yaml`;
    writeFileSync(empty, '# nothing yet\n');
    const said = async (env: NodeJS.ProcessEnv, flag?: string): Promise<string> =>
      loadConfig({ file: resolveConfigFile({ flag, env, systemFile: empty }), env: {} }).then(
        () => 'loaded',
        (err: unknown) => (err instanceof ConfigError ? err.problems.join('\n') : String(err)),
      );
    expect(await said({}, empty)).toBe(`${empty}: holds no settings (empty, or only comments); leave --config out to run on the defaults`);
    expect(await said({ EDGE_AGENT_CONFIG: empty })).toBe(`${empty}: holds no settings (empty, or only comments); unset EDGE_AGENT_CONFIG to run on the defaults`);
    expect(await said({})).toBe(`${empty}: holds no settings (empty, or only comments); remove it to run on the defaults`);
    expect(await said({ EDGE_AGENT_CONFIG: absent })).toBe(`${absent}: no such file (named by EDGE_AGENT_CONFIG)`);
  });
});
