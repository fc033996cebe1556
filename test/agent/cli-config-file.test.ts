// Which configuration file `run`, `doctor` and `fleet` read, through the real CLI: --config,
// then EDGE_AGENT_CONFIG, then /etc/edge-agent/config.yaml if present, then the defaults
// (the system file is covered in config-file.test.ts, on a file of the test's own).
// And environment variables: their errors name the variable, and doctor warns about one
// that names no key, as run does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { modelPath } from '../support/paths.js';
import { runCli, type CliResult } from '../support/run-cli.js';

type Check = { name: string; status: string; detail: string; fix?: string };
const checks = (r: CliResult): Check[] => JSON.parse(r.stdout) as Check[];
const check = (r: CliResult, name: string): Check | undefined => checks(r).find((c) => c.name === name);

const dir = mkdtempSync('/tmp/edge-agent-config-file-');
const agents: AgentProcess[] = [];
afterAll(() => {
  for (const agent of agents) agent.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  writeFileSync(`${dir}/${name}`, text);
  return `${dir}/${name}`;
}

/** `edge-agent run` with a bound: one that outlives 60 s is killed (code null). */
async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; agent: AgentProcess }> {
  const agent = AgentProcess.start(args, env);
  agents.push(agent);
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), 60_000);
  const code = await agent.exited;
  clearTimeout(timer);
  return { code, agent };
}

const fastModel = modelPath('mobilenet_v1_0.25_128_quant.tflite');

describe('the configuration file', { timeout: 120_000 }, () => {
  it('doctor reads the file EDGE_AGENT_CONFIG names, and says so', async () => {
    const named = file('env.yaml', 'model:\n  file: /nonexistent-from-env.tflite\n');
    const r = await runCli(['doctor', '--json'], { env: { EDGE_AGENT_CONFIG: named } });
    expect(check(r, 'config')?.detail, r.stdout).toContain(named);
    expect(check(r, 'config')?.detail).toContain('EDGE_AGENT_CONFIG');
    expect(check(r, 'model')).toMatchObject({ status: 'fail', detail: expect.stringContaining('/nonexistent-from-env.tflite') });
    expect(r.code).toBe(1);
  });

  it('doctor: --config wins over EDGE_AGENT_CONFIG', async () => {
    const named = file('env-2.yaml', 'model:\n  file: /nonexistent-from-env.tflite\n');
    const flagged = file('flag.yaml', 'model:\n  file: /nonexistent-from-flag.tflite\n');
    const r = await runCli(['doctor', '--json', '--config', flagged], { env: { EDGE_AGENT_CONFIG: named } });
    expect(check(r, 'config')?.detail, r.stdout).toContain(flagged);
    expect(check(r, 'config')?.detail).toContain('--config');
    expect(check(r, 'model')?.detail).toContain('/nonexistent-from-flag.tflite');
  });

  it('run reads the file EDGE_AGENT_CONFIG names: its problems stop the run, named by the file', async () => {
    const named = file('env-bad.yaml', 'camera:\n  fps: 0\n');
    const { code, agent } = await run(['--simulate', '--max-frames', '1', '--model', fastModel, '--data-dir', `${dir}/data-1`], { EDGE_AGENT_CONFIG: named });
    expect(agent.stderr).toContain(`${named}: camera.fps: must be > 0`);
    expect(code).toBe(78);
  });

  it('run: --config wins over EDGE_AGENT_CONFIG, and the log says which file was read', async () => {
    const named = file('env-bad-2.yaml', 'camera:\n  fps: 0\n');
    const flagged = file('good.yaml', 'camera:\n  fps: 20\n');
    const { code, agent } = await run(
      ['--simulate', '--max-frames', '1', '--model', fastModel, '--data-dir', `${dir}/data-2`, '--config', flagged],
      { EDGE_AGENT_CONFIG: named },
    );
    expect(code, agent.stderr).toBe(0);
    expect(agent.logs().find((l) => l.msg === 'configuration')).toMatchObject({ file: flagged, chosenBy: '--config' });
  });

  it('fleet reads the file EDGE_AGENT_CONFIG names', async () => {
    // Port 1 on loopback refuses at once: the error shows that the file's broker was tried.
    const named = file('fleet.yaml', 'mqtt:\n  url: mqtt://127.0.0.1:1\n');
    const r = await runCli(['fleet', '--json', '--wait', '0.1'], { env: { EDGE_AGENT_CONFIG: named } });
    expect(r.stderr).toContain('mqtt://127.0.0.1:1');
    expect(r.code).toBe(69);
  });
});

describe('configuration from environment variables', { timeout: 120_000 }, () => {
  it('a bad value is blamed on the variable', async () => {
    const { code, agent } = await run(['--simulate', '--max-frames', '1', '--model', fastModel, '--data-dir', `${dir}/data-3`], { EDGE_AGENT_CAMERA_FPS: '-1' });
    expect(agent.stderr).toContain('EDGE_AGENT_CAMERA_FPS: must be > 0');
    expect(code).toBe(78);
  });

  it('doctor warns about a variable that names no configuration key, as run does', async () => {
    const r = await runCli(['doctor', '--json', '--config', file('doctor.yaml', 'model:\n  file: /nonexistent.tflite\n')], { env: { EDGE_AGENT_CAMERA_FSP: '3' } });
    expect(checks(r).filter((c) => c.status === 'warn' && c.detail.includes('EDGE_AGENT_CAMERA_FSP names no configuration key')), r.stdout).toHaveLength(1);
  });
});
