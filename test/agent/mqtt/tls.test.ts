// TLS (a CA, server and client certificates made here with openssl) and user names with
// passwords, against mosquitto requiring both; and the configuration errors around them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../agent/config/load.js';
import { brokerCredentials } from '../../../agent/mqtt/connection-options.js';
import { MqttExtension } from '../../../agent/mqtt/mqtt-extension.js';
import { createTestContext, type TestContext } from '../../support/agent-context.js';
import { createTestPki, Mosquitto, type TestPki } from '../../support/mosquitto.js';
import { Recorder, sampleResult } from '../../support/recorder.js';

let pki: TestPki;
let broker: Mosquitto;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  pki = createTestPki(mkdtempSync(join(tmpdir(), 'edge-agent-pki-')), ['tls-device', 'watcher']);
  broker = await Mosquitto.start({
    listeners: [{ tls: { ...pki.server, ca: pki.ca, requireCertificate: true } }],
    passwords: { 'tls-device': 'device-secret', watcher: 'watcher-secret' },
  });
});

afterAll(async () => {
  await broker?.cleanup();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function agent(mqtt: Record<string, unknown>): Promise<{ t: TestContext; ext: MqttExtension }> {
  const t = await createTestContext({ deviceId: 'tls-device', config: { mqtt: { reconnectSeconds: 0.1, ...mqtt }, outbox: { flushMilliseconds: 10 } } });
  cleanups.push(() => t.cleanup());
  const ext = new MqttExtension(t.ctx, { url: broker.url });
  cleanups.push(() => ext.stop());
  return { t, ext };
}

const deviceTls = (): Record<string, unknown> => ({
  ca: pki.ca,
  cert: pki.clients['tls-device'].cert,
  key: pki.clients['tls-device'].key,
  rejectUnauthorized: true,
});

describe('mqtt over TLS with passwords', () => {
  it('connects with the CA, its client certificate and its password, and delivers results', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:/);
    const w = pki.clients.watcher;
    const watcher = await Recorder.connect(broker.url, ['edge/tls-device/#'], {
      ca: [readFileSync(w.ca)],
      cert: readFileSync(w.cert),
      key: readFileSync(w.key),
      username: 'watcher',
      password: 'watcher-secret',
    });
    cleanups.push(() => watcher.close());
    const { t, ext } = await agent({ url: broker.url, username: 'tls-device', password: 'device-secret', tls: deviceTls() });
    await ext.start();
    for (let i = 0; i < 3; i++) await t.ctx.results!.submit(sampleResult(i));
    await watcher.until((r) => r.results().length >= 3 && r.on('edge/tls-device/status').some((m) => m.text === 'online'), 'online and three results');
    expect(watcher.results().map((r) => r.seq)).toEqual([0, 1, 2]);
  });

  it('a wrong password is refused and reported once; results wait in the outbox', async () => {
    const { t, ext } = await agent({ username: 'tls-device', password: 'wrong', tls: deviceTls() });
    await ext.start();
    await t.ctx.results!.submit(sampleResult(0));
    const warning = await t.waitForLog(/cannot connect to the MQTT broker/);
    expect(warning.cause).toMatch(/Not authorized/i);
    expect(t.ctx.results!.depth()).toBe(1);
    expect(t.logs.filter((r) => r.msg === 'connected to the MQTT broker')).toEqual([]);
  });

  it('without a client certificate the TLS handshake fails and is reported', async () => {
    const { t, ext } = await agent({ username: 'tls-device', password: 'device-secret', tls: { ...deviceTls(), cert: null, key: null } });
    await ext.start();
    const warning = await t.waitForLog(/cannot connect to the MQTT broker/);
    expect(warning.cause).toMatch(/^the broker requires a client certificate and none was sent: set mqtt\.tls\.cert and mqtt\.tls\.key \(.+\)$/);
  });

  it('a client certificate from a CA the broker does not trust: the broker refused this device\'s certificate', async () => {
    const rogue = createTestPki(mkdtempSync(join(tmpdir(), 'edge-agent-pki-rogue-')), ['tls-device']);
    cleanups.push(() => rmSync(rogue.dir, { recursive: true, force: true }));
    const files = rogue.clients['tls-device'];
    const { t, ext } = await agent({ username: 'tls-device', password: 'device-secret', tls: { ...deviceTls(), cert: files.cert, key: files.key } });
    await ext.start();
    const warning = await t.waitForLog(/cannot connect to the MQTT broker/);
    expect(warning.cause).toMatch(/^the broker refused this device's certificate \(mqtt\.tls\.cert\): it is not signed by a CA the broker trusts \(.+\)$/);
  });

  it('a broker certificate from another CA is refused (rejectUnauthorized)', async () => {
    const other = createTestPki(mkdtempSync(join(tmpdir(), 'edge-agent-pki-other-')));
    cleanups.push(() => rmSync(other.dir, { recursive: true, force: true }));
    const { t, ext } = await agent({ username: 'tls-device', password: 'device-secret', tls: { ...deviceTls(), ca: other.ca } });
    await ext.start();
    const warning = await t.waitForLog(/cannot connect to the MQTT broker/);
    expect(warning.cause).toMatch(/^the broker's certificate was refused: it is not signed by the CA in mqtt\.tls\.ca \(.+\)$/);
  });
});

describe('mqtt connection configuration errors', () => {
  const startWith = async (mqtt: Record<string, unknown>, url = broker.url): Promise<unknown> => {
    const t = await createTestContext({ config: { mqtt } });
    cleanups.push(() => t.cleanup());
    const ext = new MqttExtension(t.ctx, { url });
    return ext.start().then(
      () => ext.stop(),
      (err: unknown) => err,
    );
  };

  it('names a TLS file that cannot be read, with its key and path', async () => {
    const err = await startWith({ tls: { ...deviceTls(), ca: '/nonexistent/ca.crt' } });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('mqtt.tls.ca: cannot read /nonexistent/ca.crt: no such file');
  });

  it('is refused while loading: a certificate without its key, TLS files with a plain mqtt:// URL, a password without a user', async () => {
    await expect(createTestContext({ config: { mqtt: { tls: { ...deviceTls(), key: null } } } })).rejects.toThrow(
      'flag mqtt.tls.cert: set mqtt.tls.key too: cert and key go together (mqtt.tls.key: set by a flag)',
    );
    await expect(createTestContext({ config: { mqtt: { url: 'mqtt://127.0.0.1:1', tls: deviceTls() } } })).rejects.toThrow(
      /^flag mqtt\.tls\.ca: TLS files need an mqtts:\/\/ or wss:\/\/ broker, and mqtt\.url is mqtt:\/\/127\.0\.0\.1:1 \(mqtt\.url: set by a flag; /,
    );
    await expect(createTestContext({ config: { mqtt: { password: 'p' } } })).rejects.toThrow(
      'flag mqtt.password: set mqtt.username too: MQTT sends no password without a user name (mqtt.username: the default)',
    );
  });

  it('leaves the TLS files out, unread, for a plain mqtt:// broker the agent starts itself (--simulate)', async () => {
    const t = await createTestContext({ config: { mqtt: { tls: { ca: '/nonexistent/ca.crt', cert: null, key: null, rejectUnauthorized: true } } } });
    cleanups.push(() => t.cleanup());
    const options = await brokerCredentials(t.ctx.config.mqtt, 'mqtt://127.0.0.1:1883');
    expect(options).not.toHaveProperty('ca');
    await expect(brokerCredentials(t.ctx.config.mqtt, 'mqtts://127.0.0.1:8883')).rejects.toThrow('mqtt.tls.ca: cannot read /nonexistent/ca.crt: no such file');
  });

  it('refuses to start without a broker URL', async () => {
    const t = await createTestContext();
    cleanups.push(() => t.cleanup());
    await expect(new MqttExtension(t.ctx).start()).rejects.toThrow(/mqtt\.url: no broker is configured/);
  });
});
