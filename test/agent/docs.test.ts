import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import { repoRoot } from '../support/paths.js';

describe('documentation', () => {
  it.each(['sim.yaml', 'pi4.yaml'])('the example config/%s is valid', async (name) => {
    const { config } = await loadConfig({ file: `${repoRoot}config/${name}`, env: {} });
    expect(config.device.id).toBeTruthy();
  });

  it('the README documents every command the agent registers', () => {
    const readme = readFileSync(`${repoRoot}README.md`, 'utf8');
    for (const name of ['capture', 'set-fps', 'set-top-k', 'set-threshold', 'pause', 'resume', 'reload-model', 'status']) {
      expect(readme).toContain(`\`${name}\``);
    }
  });
});
