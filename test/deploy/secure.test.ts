// scripts/deploy to three devices that use the shipped secure broker: mosquitto runs
// config/mosquitto/mosquitto.conf and its acl (TLS only, a client certificate and a password
// for every client, each device confined to its own topics). Each device is a real sshd with
// its own pm2 and install directory (test/deploy/devices.ts). The inventory gives each its
// configuration and certificate files; the operator's log-in comes from a file and the
// environment, never the command line.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientTls, secret, startShippedBroker, type ShippedBroker } from '../faults/fleet-support.js';
import { createTestPki, type TestPki } from '../support/mosquitto.js';
import { startFleet, type Device, type Fleet } from './devices.js';
import { pm2Cli } from './pm2.js';
import { deploy } from './run-deploy.js';

const ids = ['cam-1', 'cam-2', 'cam-3'];

describe('a secure deploy: the shipped TLS, certificates, passwords and ACL, three devices', () => {
  let work: string;
  let pki: TestPki;
  let rogue: TestPki;
  let site: ShippedBroker;
  let fleet: Fleet;
  const passwords: Record<string, string> = {};
  let operatorFile: string;

  const device = (id: string): Device => fleet.devices.find((d) => d.id === id)!;

  function inventory(certOf: (id: string) => TestPki['clients'][string]): string {
    const file = join(work, `fleet-${Date.now()}.txt`);
    writeFileSync(file, ids.map((id) => {
      const files = certOf(id);
      return `${device(id).host}  ${id}  config=${id}.yaml  ca=${pki.ca}  cert=${files.cert}  key=${files.key}\n`;
    }).join(''));
    return file;
  }

  async function retained(topic: string): Promise<string | null> {
    const client = await mqtt.connectAsync(site.url, { reconnectPeriod: 0, ...clientTls(pki, 'operator', passwords.operator) });
    try {
      const got = new Promise<string>((resolve) => client.on('message', (_t, payload, packet) => packet.retain && resolve(payload.toString())));
      await client.subscribeAsync(topic, { qos: 1 });
      return await Promise.race([got, new Promise<null>((resolve) => setTimeout(() => resolve(null), 2000))]);
    } finally {
      await client.endAsync();
    }
  }

  beforeAll(async () => {
    work = mkdtempSync('/var/tmp/edge-agent-deploy-secure-');
    mkdirSync(join(work, 'pki'));
    mkdirSync(join(work, 'rogue'));
    pki = createTestPki(join(work, 'pki'), [...ids, 'operator']);
    // A certificate for cam-3 from a CA the broker does not know.
    rogue = createTestPki(join(work, 'rogue'), ['cam-3']);
    for (const id of [...ids, 'operator']) passwords[id] = secret(id);
    site = await startShippedBroker({ pki, users: passwords, dir: work });
    fleet = await startFleet(work, ids);
    for (const id of ids) {
      writeFileSync(join(work, `${id}.yaml`), YAML.stringify({
        device: { id },
        mqtt: { url: site.url, username: id, password: passwords[id] },
        camera: { type: 'sim' },
      }));
    }
    operatorFile = join(work, 'operator.yaml');
    writeFileSync(operatorFile, YAML.stringify({ username: 'operator', tls: { cert: pki.clients.operator.cert, key: pki.clients.operator.key } }));
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await site?.broker.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  const options = (): string[] => ['--dest', fleet.dest, '--ssh-opts', fleet.sshOpts, '--pm2', pm2Cli, '--timeout', '120', '--operator', operatorFile];
  const env = (): NodeJS.ProcessEnv => ({ EDGE_DEPLOY_MQTT_PASSWORD: passwords.operator });

  test('a password on the command line is refused before anything happens', async () => {
    const run = await deploy([device('cam-1').host, '--mqtt-url', `mqtts://operator:${passwords.operator}@127.0.0.1:${site.port}`, ...options()]);
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain('--mqtt-url must not hold a password (ps shows it to everyone here)');
    expect(existsSync(device('cam-1').disk)).toBe(false);
  });

  test('a device whose certificate the broker refuses is stopped by the preflight, and the others are deployed', async () => {
    const run = await deploy(['--inventory', inventory((id) => (id === 'cam-3' ? rogue.clients['cam-3'] : pki.clients[id])), ...options()], env());
    expect(run.code, run.output).toBe(1);
    expect(run.argv.join(' ')).not.toContain(passwords.operator);
    expect(run.output).toMatch(new RegExp(`${device('cam-3').host} +FAILED .*nothing was changed there.*cannot reach the broker mqtts://127.0.0.1:${site.port} as device cam-3: the broker refused device cam-3's client certificate`));
    expect(existsSync(device('cam-3').disk)).toBe(false);
    for (const id of ['cam-1', 'cam-2']) {
      expect(run.output).toMatch(new RegExp(`${device(id).host} +ok +device ${id}, online`));
      expect(await retained(`edge/${id}/status`)).toBe('online');
    }
    expect(await retained('edge/cam-3/status')).toBe(null);
  }, 600_000);

  test('with its own certificate, every device comes online through TLS, its password and the ACL, a canary first', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const run = await deploy(['--inventory', inventory((id) => pki.clients[id]), ...options(), '--canary', '1', '--canary-seconds', '5'], env());
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('watching the canary for 5 s before the rest');
    // The canary was done before the others began.
    expect(run.output.indexOf(`[${device('cam-2').host}`)).toBeGreaterThan(run.output.indexOf('watching the canary'));
    for (const id of ids) {
      const d = device(id);
      expect(run.output).toMatch(new RegExp(`${d.host} +ok +device ${id}, online`));
      expect(await retained(`edge/${id}/status`)).toBe('online');
      const config = YAML.parse(readFileSync(join(d.disk, 'config.yaml'), 'utf8')) as { mqtt: { tls: Record<string, string>; password: string } };
      expect(config.mqtt.tls).toEqual({ ca: 'tls/ca.crt', cert: 'tls/client.crt', key: 'tls/client.key' });
      expect(config.mqtt.password).toBe(passwords[id]);
      const release = join(d.disk, readlinkSync(join(d.disk, 'current')));
      expect(readFileSync(join(release, 'tls/client.crt'), 'utf8')).toBe(readFileSync(pki.clients[id].cert, 'utf8'));
      expect(statSync(join(release, 'tls/client.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(d.disk, 'config.yaml')).mode & 0o777).toBe(0o600);
      const apps = await d.pm2.list();
      expect(apps.map((a) => [a.name, a.pm2_env.status])).toEqual([['edge-agent', 'online']]);
      expect(readdirSync(join(d.disk, 'releases')).length).toBe(id === 'cam-3' ? 1 : 2);
    }
  }, 600_000);
});
