// Item 10 of issue 5: beyond one broker. A site broker bridged to a central broker, both
// running the shipped config/mosquitto/mosquitto.conf and acl, the site one with the
// shipped bridge.conf too (only addresses, paths, ports and passwords replaced). Agents
// connect to the site broker with their certificates; a consumer on the central broker
// must receive every result and every telemetry snapshot, and a command sent at the
// centre must reach a site agent and its answer come back. Then the central broker is
// killed (kill -9) and restarted while the agents keep going: the bridge's queue on the
// site broker must catch up so that every result still arrives.
//
// What the central broker keeps across its own kill -9 is its last persistence
// snapshot. The consumer's durable session must be in it, or the bridge's catch-up can
// reach the restarted broker before the consumer has subscribed again and find nobody
// to deliver to; hence the wait for a save before the kill. A broker loses the session
// changes since its last save on kill -9 (none on a clean restart). The consumer stays
// connected until the kill, so every result the central broker acknowledged to the
// bridge had already been handed to it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from '../support/agent-process.js';
import { createTestPki, persistenceSaved, type TestPki } from '../support/mosquitto.js';
import { Recorder } from '../support/recorder.js';
import { agentMqttYaml, clientTls, detectorTopics, round, secret, shippedFile, shippedPersistence, startShippedBroker, type ShippedBroker } from './fleet-support.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, fastModel, imageFolder, loggedSeqs, scratchDir, startAgent } from './support.js';

const DEVICES = ['site-dev-1', 'site-dev-2', 'site-dev-3'];
const FPS = 5;
/** Results each agent produces while the central broker is down. */
const DOWN_RESULTS = 15;

let work: string;
let pki: TestPki;
let central: ShippedBroker;
let site: ShippedBroker;
const passwords: Record<string, string> = {};
const agents = new Map<string, AgentProcess>();
const recorders: Recorder[] = [];

beforeAll(async () => {
  work = scratchDir('bridge');
  mkdirSync(join(work, 'pki'));
  pki = createTestPki(join(work, 'pki'), [...DEVICES, 'operator', 'bridge-site-1']);
  for (const user of [...DEVICES, 'operator', 'bridge-site-1']) passwords[user] = secret(user);
  mkdirSync(join(work, 'central'));
  mkdirSync(join(work, 'site'));
  central = await startShippedBroker({ pki, users: { operator: passwords.operator, 'bridge-site-1': passwords['bridge-site-1'] }, dir: join(work, 'central') });
  const bridge = shippedFile('bridge.conf', [
    ['central.example.net:8883', `127.0.0.1:${central.port}`],
    ['remote_password change-me', `remote_password ${passwords['bridge-site-1']}`],
    ['/etc/mosquitto/certs/ca.crt', pki.ca],
    ['/etc/mosquitto/certs/bridge-site-1.crt', pki.clients['bridge-site-1'].cert],
    ['/etc/mosquitto/certs/bridge-site-1.key', pki.clients['bridge-site-1'].key],
  ]);
  const siteUsers = Object.fromEntries([...DEVICES, 'operator'].map((u) => [u, passwords[u]]));
  site = await startShippedBroker({ pki, users: siteUsers, dir: join(work, 'site'), extra: bridge });
  describeItem(
    '10',
    'Beyond one broker: a site broker bridged to a central broker',
    'The counts (every result at the centre, duplicates, telemetry lost while the centre was down) do not depend ' +
      'on the board. The catch-up time is mostly the bridge\'s reconnect backoff (restart_timeout 1 30), the same ' +
      'anywhere; with a Pi as the site broker and a real WAN link to the centre, each forwarded message also pays ' +
      'the link\'s round trip, which bounds how fast a long queue drains (max_inflight_messages 20 in flight at a time).',
  );
});

afterAll(async () => {
  for (const r of recorders) await r.close().catch(() => {});
  await site?.broker.cleanup();
  await central?.broker.cleanup();
  await cleanup();
});

/** seq -> arrivals, per device, from a recorder's result messages. */
function seqsOf(r: Recorder, device: string): number[] {
  return r.on(`edge/${device}/result`).map((m) => (JSON.parse(m.text) as { seq: number }).seq);
}

const telemetryKey = (text: string): string => {
  const t = JSON.parse(text) as { device: string; ts: string };
  return `${t.device} ${t.ts}`;
};
const telemetryTime = (key: string): number => Date.parse(key.split(' ')[1]);

describe('item 10: site broker bridged to a central broker', () => {
  it('every result and telemetry snapshot reaches the centre, commands go the other way, and the bridge queue catches up after the central broker is killed', async () => {
    const operatorTls = clientTls(pki, 'operator', passwords.operator) as IClientOptions;
    // The consumer at the centre: a durable session (clean: false, QoS 1).
    const consumer = await Recorder.connect(central.url, ['edge/+/result', 'edge/+/telemetry', 'edge/+/status', 'edge/+/cmd/+/response', 'bridges/#'], { ...operatorTls, clientId: 'central-consumer', clean: false });
    recorders.push(consumer);
    // A watcher at the site, to compare with: what the agents published there.
    const local = await Recorder.connect(site.url, ['edge/+/result', 'edge/+/telemetry'], { ...operatorTls, clientId: 'site-watcher' });
    recorders.push(local);
    await consumer.until((r) => r.on('bridges/site-1/state').some((m) => m.text === '1'), 'the bridge connected');

    const images = imageFolder(work);
    for (const device of DEVICES) {
      const config = join(work, `${device}.yaml`);
      writeFileSync(config, `model:\n  file: ${fastModel}\n${agentMqttYaml(site.url, pki, device, passwords[device])}\n`);
      agents.set(device, startAgent(['--simulate', '--images', images, '--fps', String(FPS), '--device-id', device, '--data-dir', join(work, `data-${device}`), '--config', config]));
    }
    await consumer.until((r) => DEVICES.every((d) => seqsOf(r, d).length >= 10 && r.on(`edge/${d}/telemetry`).length >= 2), 'results and telemetry of every agent at the centre', 60_000);

    // A command from the centre to a site agent and its answer back, through the bridge.
    await consumer.client.publishAsync(`edge/${DEVICES[0]}/cmd/status`, JSON.stringify({ id: 'from-the-centre' }), { qos: 1 });
    await consumer.until((r) => r.on(`edge/${DEVICES[0]}/cmd/status/response`).some((m) => JSON.parse(m.text).id === 'from-the-centre'), 'the answer to a command sent at the centre');

    // Every telemetry snapshot published at the site so far arrives at the centre.
    const telemetryBefore = new Set(local.on(/\/telemetry$/).map((m) => telemetryKey(m.text)));
    await consumer.until((r) => {
      const there = new Set(r.on(/\/telemetry$/).map((m) => telemetryKey(m.text)));
      return [...telemetryBefore].every((k) => there.has(k));
    }, 'every telemetry snapshot of the site at the centre');

    // The consumer's session is on disk before the kill.
    await persistenceSaved(join(work, 'central'));
    const resultsAtKill = new Map(DEVICES.map((d) => [d, seqsOf(local, d).length]));
    await central.broker.kill();
    const killedAt = Date.now();
    await local.until((r) => DEVICES.every((d) => seqsOf(r, d).length >= resultsAtKill.get(d)! + DOWN_RESULTS), `${DOWN_RESULTS} more results of every agent at the site`, 30_000);
    await central.broker.restart();
    const restartedAt = Date.now();
    const downSeconds = (restartedAt - killedAt) / 1000;
    await consumer.until((r) => r.on('bridges/site-1/state').filter((m) => m.text === '1').length >= 2, 'the bridge connected again', 60_000);
    const bridgeBackAt = Date.now();
    const queuedAtRestart = new Map(DEVICES.map((d) => [d, seqsOf(local, d)]));
    await consumer.until(
      (r) => DEVICES.every((d) => {
        const there = new Set(seqsOf(r, d));
        return queuedAtRestart.get(d)!.every((s) => there.has(s));
      }),
      'the centre caught up with everything published at the site while it was down',
      60_000,
    );
    const caughtUpAt = Date.now();
    // The consumer got its session back, not a new one.
    expect(consumer.sessions.at(-1)).toBe(true);

    // Telemetry after the bridge is back arrives again.
    const telemetryAfter = local.on(/\/telemetry$/).length;
    await local.until((r) => r.on(/\/telemetry$/).length >= telemetryAfter + DEVICES.length, 'fresh telemetry at the site');
    const fresh = local.on(/\/telemetry$/).slice(telemetryAfter).map((m) => telemetryKey(m.text));
    await consumer.until((r) => {
      const there = new Set(r.on(/\/telemetry$/).map((m) => telemetryKey(m.text)));
      return fresh.every((k) => there.has(k));
    }, 'fresh telemetry at the centre');

    // Stop: each agent delivers what it has and says offline, which must all reach the centre.
    const codes = await Promise.all([...agents.values()].map((a) => a.stop('SIGTERM')));
    expect(codes).toEqual(DEVICES.map(() => 0));
    await consumer.until((r) => DEVICES.every((d) => r.on(`edge/${d}/status`).some((m) => m.text === 'offline')), 'offline of every agent at the centre');

    let produced = 0;
    let duplicates = 0;
    for (const d of DEVICES) {
      const seqs = loggedSeqs(agents.get(d)!);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      produced += seqs.length;
      await consumer.until((r) => new Set(seqsOf(r, d)).size >= seqs.length, `every result of ${d} at the centre`);
      const arrived = seqsOf(consumer, d);
      const unique = new Set(arrived);
      expect(seqs.filter((s) => !unique.has(s)), d).toEqual([]);
      expect([...unique].filter((s) => s >= seqs.length), d).toEqual([]);
      duplicates += arrived.length - unique.size;
    }
    // Telemetry is QoS 0: what the agents publish while the bridge is down is not queued.
    // Snapshots taken from 1 s before the kill to 1 s after the bridge was back may be
    // lost (the margin covers a snapshot in flight at either edge); all others must arrive.
    const centreTelemetry = new Set(consumer.on(/\/telemetry$/).map((m) => telemetryKey(m.text)));
    const siteTelemetry = local.on(/\/telemetry$/).map((m) => telemetryKey(m.text));
    const inOutage = (k: string): boolean => telemetryTime(k) >= killedAt - 1000 && telemetryTime(k) <= bridgeBackAt + 1000;
    const outage = siteTelemetry.filter(inOutage);
    const lostInOutage = outage.filter((k) => !centreTelemetry.has(k)).length;
    const lostOtherwise = siteTelemetry.filter((k) => !inOutage(k) && !centreTelemetry.has(k));
    expect(lostOtherwise).toEqual([]);

    recordFigure('10', 'site -> central bridge, central broker killed and restarted', {
      'agents on the site broker': `${DEVICES.length} at ${FPS} fps`,
      'results produced': produced,
      'results at the centre (unique)': produced,
      'duplicates at the centre': duplicates,
      'command from the centre answered by a site agent': 'yes',
      'central broker down (s)': round(downSeconds, 1),
      'results published at the site while the bridge was down (queued there)': [...queuedAtRestart].reduce((n, [d, seqs]) => n + seqs.length - resultsAtKill.get(d)!, 0),
      'restart to bridge connected again (s)': round((bridgeBackAt - restartedAt) / 1000, 1),
      'restart to caught up (s)': round((caughtUpAt - restartedAt) / 1000, 1),
      'telemetry snapshots at the site': siteTelemetry.length,
      'telemetry snapshots from 1 s before the kill to 1 s after the bridge was back, lost (QoS 0, not queued)': `${lostInOutage} of ${outage.length}`,
      'telemetry snapshots lost otherwise': lostOtherwise.length,
      'consumer session after the restart': 'resumed (session present)',
    }, `Two mosquitto brokers on loopback, both running config/mosquitto/mosquitto.conf and acl (TLS with client certificates and passwords); the site broker also runs config/mosquitto/bridge.conf (cleansession false, local_cleansession false, QoS 1). ${DEVICES.length} agents connect to the site broker with their certificates; the consumer connects to the central broker as the operator with a durable session. After results and telemetry flowed and a command went from the centre to a site agent and back, the central broker was killed (kill -9) while the agents kept publishing, restarted after ${DOWN_RESULTS} more results per agent, and the agents were stopped with SIGTERM at the end. Both brokers save as shipped (${shippedPersistence().setting}); the test waits for a save of the central broker before the kill, so that the consumer's session is on disk.`);
  }, 180_000);

  it('carries a detector\'s events, object counts, snapshots and object discovery to the centre', async () => {
    const device = DEVICES[0];
    const topics = detectorTopics(device);
    const centre = await Recorder.connect(central.url, [...topics, `edge/${device}/telemetry`], { ...(clientTls(pki, 'operator', passwords.operator) as IClientOptions), clientId: 'central-detector-watcher' });
    recorders.push(centre);
    const publisher = await Recorder.connect(site.url, [], { ...(clientTls(pki, device, passwords[device]) as IClientOptions), clientId: `${device}-detector` });
    recorders.push(publisher);
    for (const topic of topics) await publisher.client.publishAsync(topic, `bridged ${topic}`, { qos: 1 });
    // Barrier: published after the others on the same path through the bridge.
    await publisher.client.publishAsync(`edge/${device}/telemetry`, 'detector-barrier', { qos: 1 });
    await centre.until((r) => r.on(`edge/${device}/telemetry`).some((m) => m.text === 'detector-barrier'), 'the barrier at the centre');
    expect(topics.filter((topic) => !centre.on(topic).some((m) => m.text === `bridged ${topic}`))).toEqual([]);

    // The bridge sends out edge/+/+/+, which commands match too: one from the centre must
    // reach the site once and not come back. The barrier leaves the site after the command
    // arrived there, so an echo would be ahead of it on the way out.
    const command = `edge/${device}/cmd/status`;
    const siteWatcher = await Recorder.connect(site.url, [command], { ...(clientTls(pki, 'operator', passwords.operator) as IClientOptions), clientId: 'site-command-watcher' });
    recorders.push(siteWatcher);
    await centre.client.subscribeAsync(command, { qos: 1 });
    await centre.client.publishAsync(command, JSON.stringify({ id: 'loop-check' }), { qos: 1 });
    await siteWatcher.until((r) => r.on(command).length > 0, 'the command at the site');
    await publisher.client.publishAsync(`edge/${device}/telemetry`, 'loop-barrier', { qos: 1 });
    await centre.until((r) => r.on(`edge/${device}/telemetry`).some((m) => m.text === 'loop-barrier'), 'the second barrier at the centre');
    expect(siteWatcher.on(command).length).toBe(1);
    expect(centre.on(command).length).toBe(1);
  });
});
