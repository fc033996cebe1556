// Roll-outs that stop themselves: --max-failures stops starting hosts once that many have
// failed, and --canary deploys to the first hosts, and only then to the rest. Three devices,
// each a real sshd with its own pm2 and install directory (test/deploy/devices.ts).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { pm2Cli } from './pm2.js';
import { startFleet, type Fleet } from './devices.js';
import { deploy } from './run-deploy.js';


describe('roll-outs that stop themselves', () => {
  let work: string;
  let fleet: Fleet;
  let broker: Mosquitto;

  beforeAll(async () => {
    work = mkdtempSync('/var/tmp/edge-agent-deploy-rollout-');
    fleet = await startFleet(work, ['cam-1', 'cam-2', 'cam-3']);
    broker = await Mosquitto.start({ persistence: false });
  }, 60_000);

  afterAll(async () => {
    await fleet?.stop();
    await broker?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  const options = (): string[] => ['--dest', fleet.dest, '--ssh-opts', fleet.sshOpts, '--pm2', pm2Cli, '--timeout', '120'];

  test('--max-failures 2: after two hosts failed, the third is not started', async () => {
    const user = userInfo().username;
    const [gone1, gone2] = [await freePort(), await freePort()];
    const inventory = join(work, 'max-failures.txt');
    writeFileSync(inventory, `${user}@127.0.0.1:${gone1} gone-1\n${user}@127.0.0.1:${gone2} gone-2\n${fleet.devices[0].host} cam-1\n`);
    const config = join(work, 'good.yaml');
    writeFileSync(config, `mqtt:\n  url: ${broker.url}\ncamera:\n  type: sim\n`);
    const run = await deploy(['--inventory', inventory, '--config', config, ...options(), '--parallel', '1', '--max-failures', '2']);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(new RegExp(`127.0.0.1:${gone1} +FAILED +cannot reach`));
    expect(run.output).toMatch(new RegExp(`127.0.0.1:${gone2} +FAILED +cannot reach`));
    expect(run.output).toMatch(new RegExp(`${fleet.devices[0].host} +SKIPPED not deployed: the roll-out stopped after 2 failures \\(--max-failures 2\\)`));
    expect(run.output).toContain('2 of 3 failed');
    expect(run.output).toContain('1 of 3 not deployed');
    expect(existsSync(fleet.devices[0].disk)).toBe(false);
  }, 300_000);

  test('a canary roll-out with a bad model stops after the first device, which is left as it was', async () => {
    const model = join(work, 'bad.tflite');
    writeFileSync(model, Buffer.alloc(4096, 7));
    const config = join(work, 'bad-model.yaml');
    writeFileSync(config, `mqtt:\n  url: ${broker.url}\ncamera:\n  type: sim\nmodel:\n  file: ${model}\n`);
    const inventory = join(work, 'canary.txt');
    writeFileSync(inventory, fleet.devices.map((d) => `${d.host} ${d.id}\n`).join(''));
    const [canary, ...rest] = fleet.devices;

    const run = await deploy(['--inventory', inventory, '--config', config, ...options(), '--canary', '1']);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(new RegExp(`${canary.host} +FAILED +.*the agent exited with code 65( \\(pm2 restarted it \\d+ times?\\))?: .*not a TFLite model`));
    for (const d of rest) {
      expect(run.output).toMatch(new RegExp(`${d.host} +SKIPPED not deployed: a canary failed`));
      expect(existsSync(d.disk), d.id).toBe(false);
    }
    // The canary had nothing before this deploy, and has nothing after it.
    expect(readdirSync(dirname(dirname(canary.disk)))).toEqual([]);
    expect((await canary.pm2.list()).map((a) => a.name)).toEqual([]);
    expect(run.output).toContain('1 of 3 failed');
    expect(run.output).toContain('2 of 3 not deployed');
  }, 600_000);
});
