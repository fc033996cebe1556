// A broker password never reaches a log line or a terminal: real agents, doctor and the
// fleet view run against a real mosquitto that requires it (and against a closed port,
// where the agent logs its connection failures), and every line they print is searched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { runCli } from '../support/run-cli.js';

const PASSWORD = 'pw-0ae7-Sekrit-55';
const work = mkdtempSync('/tmp/edge-agent-secrets-');
let broker: Mosquitto;
const printed: { what: string; text: string }[] = [];

beforeAll(async () => {
  broker = await Mosquitto.start({ passwords: { sensor: PASSWORD } });
});

afterAll(async () => {
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const withCredentials = (port: number): string => `mqtt://sensor:${PASSWORD}@127.0.0.1:${port}`;

describe('secrets in what the agent prints', () => {
  it('an agent connecting with a password in its broker URL, and one that cannot reach the broker', async () => {
    const delivered = AgentProcess.start([
      '--simulate', '--mqtt-url', withCredentials(broker.port), '--device-id', 'secret-1',
      '--data-dir', `${work}/data-1`, '--max-frames', '2', '--fps', '5',
    ]);
    expect(await delivered.exited).toBe(0);
    printed.push({ what: 'run (connected)', text: delivered.stdout + delivered.stderr });
    expect(delivered.stdout).toMatch(/connecting to the MQTT broker/);

    const closed = await freePort();
    const unreachable = AgentProcess.start([
      '--simulate', '--mqtt-url', withCredentials(closed), '--device-id', 'secret-2', '--data-dir', `${work}/data-2`,
    ]);
    while (!/cannot connect to the MQTT broker/.test(unreachable.stdout)) await new Promise((r) => setTimeout(r, 50));
    expect(await unreachable.stop()).toBe(0);
    printed.push({ what: 'run (broker unreachable)', text: unreachable.stdout + unreachable.stderr });
  });

  it('doctor, a configuration error and the fleet view', async () => {
    const config = `${work}/config.yaml`;
    writeFileSync(config, `mqtt:\n  url: ${withCredentials(broker.port)}\n  username: sensor\n  password: ${PASSWORD}\n`);
    const doctor = await runCli(['doctor', '--config', config]);
    printed.push({ what: 'doctor', text: doctor.stdout + doctor.stderr });
    expect(doctor.stdout).toMatch(/broker .*connected/);

    const bad = await runCli(['run', '--mqtt-url', `mqtt://sensor:${PASSWORD}@exa mple`, '--data-dir', `${work}/data-3`]);
    expect(bad.code).toBe(78);
    printed.push({ what: 'run (bad URL)', text: bad.stdout + bad.stderr });

    const fleet = await runCli(['fleet', '--json', '--mqtt-url', withCredentials(await freePort())], { timeoutMs: 30_000 });
    expect(fleet.code).toBe(69);
    printed.push({ what: 'fleet --json (unreachable)', text: fleet.stdout + fleet.stderr });
  });

  it('none of it holds the password, and the URLs are shown with it redacted', () => {
    expect(printed.map((p) => p.what)).toHaveLength(5);
    for (const { what, text } of printed) {
      expect(text.length, what).toBeGreaterThan(0);
      expect(text.includes(PASSWORD), `${what} printed the password:\n${text.split('\n').filter((l) => l.includes(PASSWORD)).join('\n')}`).toBe(false);
    }
    expect(printed.filter((p) => p.text.includes('sensor:[redacted]@')).map((p) => p.what)).toEqual(
      expect.arrayContaining(['run (connected)', 'run (broker unreachable)', 'run (bad URL)', 'fleet --json (unreachable)']),
    );
  });
});
