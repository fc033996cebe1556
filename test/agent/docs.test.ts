// What the README says about the code, checked against the code: the lists it keeps by hand
// (commands, options, exit codes, the packages the tests need) name what is really there.
// test/docs/readme.test.ts runs the README's commands.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../agent/cli/cli-error.js';
import { benchCommand } from '../../agent/cli/bench.js';
import { classifyCommand } from '../../agent/cli/classify.js';
import { doctorCommand } from '../../agent/cli/doctor.js';
import { fleetCommand } from '../../agent/cli/fleet.js';
import { inspectCommand } from '../../agent/cli/inspect.js';
import { runCommand } from '../../agent/cli/run.js';
import { loadConfig } from '../../agent/config/load.js';
import { repoRoot } from '../support/paths.js';

const readme = readFileSync(`${repoRoot}README.md`, 'utf8');

/** The text of a README section, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const level = /^#+/.exec(heading)![0];
  const rest = readme.slice(start + heading.length);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Package names after `apt-get install` in shell text: words that are not options or redirections. */
function aptPackages(text: string): string[] {
  const joined = text.replace(/\\\n/g, ' ');
  const line = /apt-get install ([^\n]*)/.exec(joined)?.[1] ?? '';
  return line.split(/\s+/).filter((w) => /^[a-z0-9][a-z0-9+.-]*$/.test(w)).sort();
}

describe('documentation', () => {
  it.each(['sim.yaml', 'pi4.yaml'])('the example config/%s is valid and names a camera (run refuses to start without one)', async (name) => {
    const { config } = await loadConfig({ file: `${repoRoot}config/${name}`, env: {} });
    expect(config.device.id).toBeTruthy();
    expect(config.camera.type).not.toBeNull();
  });

  it('the configuration in "Person detection with Home Assistant" loads, with the zone and the mask it describes', async () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section('### Person detection with Home Assistant'))![1];
    const file = `${mkdtempSync('/tmp/edge-agent-docs-')}/config.yaml`;
    writeFileSync(file, yaml);
    const { config } = await loadConfig({ file, env: {} });
    expect(config.model.file).toBe('models/ssd_mobilenet_v1_coco_quant.tflite');
    expect(Object.keys(config.objects.zones)).toEqual(['driveway']);
    expect(config.objects.masks).toHaveLength(1);
    rmSync(dirname(file), { recursive: true });
  });

  it('the README documents every command the agent registers', () => {
    for (const name of ['capture', 'set-fps', 'set-top-k', 'set-threshold', 'pause', 'resume', 'reload-model', 'status']) {
      expect(readme).toContain(`\`${name}\``);
    }
  });

  it('the README lists the packages .ci/run installs for the tests, no more and no fewer', () => {
    const ci = aptPackages(readFileSync(`${repoRoot}.ci/run`, 'utf8'));
    expect(ci.length).toBeGreaterThan(5);
    expect(ci).toContain('chromium');
    expect(aptPackages(section('### Tests'))).toEqual(ci);
  });

  it('the exit-code table has a row for every code the CLI exits with, and only those', () => {
    const documented = [...section('### Exit codes').matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    // 0 success, 1 doctor's failed checks, 130 run's second signal (agent/cli/run.ts), then the sysexits.
    const exited = [0, 1, 130, ...Object.values(ExitCode)];
    expect(documented.sort((a, b) => a - b)).toEqual([...new Set(exited)].sort((a, b) => a - b));
  });

  it.each([runCommand, classifyCommand, benchCommand, inspectCommand, doctorCommand, fleetCommand].map((c) => [c.name(), c] as const))(
    'the synopsis of %s names each of its options',
    (name: string, command: Command) => {
      const synopsis = /^## The command line\n+```\n([\s\S]*?)```/m.exec(readme)?.[1] ?? '';
      // The command's line and the indented lines that continue it.
      const lines = new RegExp(`^edge-agent ${name} .*(\\n {10,}.*)*`, 'm').exec(synopsis)?.[0] ?? '';
      expect(lines, `no synopsis line for ${name}`).not.toBe('');
      const missing = command.options.map((o) => o.long!).filter((long) => !new RegExp(`\\[?${long}\\b`).test(lines));
      expect(missing).toEqual([]);
    },
  );
});
