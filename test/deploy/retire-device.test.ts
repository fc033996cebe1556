// docs/deploy.md's "Retiring a device", run as written against mosquitto with the shipped
// configuration and ACL (TLS, certificates, passwords): a device that had published what a
// detector publishes (status, counts, snapshots, discovery) leaves nothing retained behind,
// another device's retained messages stay, and the retired device can no longer log in.
// Only what this machine is not is replaced: the broker's address and port, the folders of
// the certificates and the password file, and systemctl (a SIGHUP, which is what Debian's
// mosquitto.service sends on reload).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopics } from '../../agent/mqtt/topics.js';
import { discoveryMessages } from '../../agent/mqtt/discovery.js';
import { clientTls, detectorTopics, secret, startShippedBroker, type ShippedBroker } from '../faults/fleet-support.js';
import { cleanup, scratchDir } from '../faults/support.js';
import { createTestPki, type TestPki } from '../support/mosquitto.js';
import { docBlock } from '../support/deploy-doc.js';
import { Recorder } from '../support/recorder.js';

const USERS = ['feeder-2', 'feeder-3', 'operator'];
let work: string;
let pki: TestPki;
let broker: ShippedBroker;
const passwords: Record<string, string> = {};
const recorders: Recorder[] = [];

/** Everything a device retains, as the agent names it: status, a detector's counts, snapshot and discovery, and its sensors' discovery. */
function retainedOf(device: string): string[] {
  const topics = deviceTopics('edge', device);
  const sensors = discoveryMessages({ prefix: 'homeassistant', deviceId: device, topics, swVersion: '0.1.0', telemetrySeconds: 10 }).map((m) => m.topic);
  return [topics.status, ...detectorTopics(device).filter((t) => t !== topics.events), ...sensors];
}

async function publishRetained(device: string): Promise<void> {
  const client = await connectAs(device);
  for (const topic of retainedOf(device)) await client.publishAsync(topic, `kept ${topic}`, { qos: 1, retain: true });
  await client.endAsync();
}

function connectAs(user: string) {
  return new Promise<ReturnType<typeof connect>>((resolve, reject) => {
    const client = connect(broker.url, { ...(clientTls(pki, user, passwords[user]) as IClientOptions), clientId: `${user}-${Math.random()}`, reconnectPeriod: 0 });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

beforeAll(async () => {
  work = scratchDir('retire');
  mkdirSync(join(work, 'pki'));
  pki = createTestPki(join(work, 'pki'), USERS);
  for (const user of USERS) passwords[user] = secret(user);
  broker = await startShippedBroker({ pki, users: passwords, dir: work });
});

afterAll(async () => {
  for (const r of recorders) await r.close().catch(() => {});
  await broker?.broker.cleanup();
  await cleanup();
});

describe("docs/deploy.md: retiring a device", () => {
  it('clears everything the device retained, keeps the other devices\', and takes its log-in away', async () => {
    await publishRetained('feeder-2');
    await publishRetained('feeder-3');
    const script = docBlock('Retiring a device')
      .replaceAll('-h broker.local -p 8883', `-h 127.0.0.1 -p ${broker.port}`)
      .replaceAll('pki/', `${join(work, 'pki')}/`)
      .replaceAll('sudo ', '')
      .replaceAll('/etc/mosquitto/passwd', join(work, 'passwd'))
      .replaceAll('systemctl reload mosquitto', `kill -HUP ${broker.broker.pid}`);
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: work,
        env: { ...process.env, OPERATOR_PASSWORD: passwords.operator, DEVICE_PASSWORD: passwords['feeder-2'] },
        timeout: 60_000,
      }, (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(work, 'retained.txt'), 'utf8').trim().split('\n').sort()).toEqual(retainedOf('feeder-2').sort());

    // A newcomer finds nothing retained of feeder-2, and all of feeder-3's. A message feeder-3
    // publishes afterwards on the same subscription is the barrier: retained ones come first.
    const newcomer = await Recorder.connect(broker.url, ['edge/#', 'homeassistant/#'], { ...(clientTls(pki, 'operator', passwords.operator) as IClientOptions), clientId: 'newcomer' });
    recorders.push(newcomer);
    const barrier = await connectAs('feeder-3');
    await barrier.publishAsync('edge/feeder-3/telemetry', 'barrier', { qos: 1 });
    await barrier.endAsync();
    await newcomer.until((r) => r.on('edge/feeder-3/telemetry').length > 0, 'the barrier');
    const retained = newcomer.messages.filter((m) => m.retain).map((m) => m.topic);
    expect(retained.filter((t) => t.includes('feeder-2'))).toEqual([]);
    expect(retained.filter((t) => t.includes('feeder-3')).sort()).toEqual(retainedOf('feeder-3').sort());

    await expect(connectAs('feeder-2')).rejects.toThrow(/Not authorized/i);
  }, 90_000);
});
