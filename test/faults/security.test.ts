// Item 7 of issue 5: security. mosquitto runs the shipped config/mosquitto/mosquitto.conf
// and acl (only paths, the port and the password file replaced): TLS only, a client
// certificate and a password for everyone, each device confined to its own topics. Two
// real agents connect with their certificates; a rogue client holding device A's
// certificate and password tries to read and write device B's topics. Then shell
// metacharacters go into every camera option through each way in: configuration file,
// environment, the command line and MQTT commands.
//
// "Nothing arrived" is only shown after a barrier that must arrive after it: a message
// the broker handled later on the same path. Commands to one agent run in arrival order,
// and the broker forwards messages to one connection in the order it handled them.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraError } from '../../agent/camera/camera.js';
import { createCamera } from '../../agent/camera/factory.js';
import { ConfigError, loadConfig } from '../../agent/config/load.js';
import { createAgentContext } from '../../agent/core/context.js';
import { deviceTopics } from '../../agent/mqtt/topics.js';
import { fakeBin } from '../agent/camera/fake-camera.js';
import type { AgentProcess } from '../support/agent-process.js';
import { createTestPki, type TestPki } from '../support/mosquitto.js';
import { imagePath, repoRoot } from '../support/paths.js';
import { Recorder } from '../support/recorder.js';
import { mulberry32 as random } from '../support/rng.js';
import { runCli } from '../support/run-cli.js';
import { agentMqttYaml, clientTls, detectorTopics, listeningPorts, secret, startShippedBroker, type ShippedBroker } from './fleet-support.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, fastModel as model, scratchDir, startAgent } from './support.js';

/** What an argument of a capture program may consist of. */
const PLAIN = /^[A-Za-z0-9_./:=-]+$/;

let work: string;
let pki: TestPki;
let site: ShippedBroker;
const passwords: Record<string, string> = {};
const agents: AgentProcess[] = [];
const recorders: Recorder[] = [];
let operator: Recorder;
/** Every fswebcam call of device B's agent (fake fswebcam on PATH). */
let argvLogB: string;

/** Calls logged by the fake capture programs: each an argv, program name first. */
function argvCalls(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\0\n').filter(Boolean).map((call) => call.split('\0'));
}

beforeAll(async () => {
  work = scratchDir('security');
  argvLogB = join(work, 'argv-dev-b');
  mkdirSync(join(work, 'pki'));
  pki = createTestPki(join(work, 'pki'), ['dev-a', 'dev-b', 'operator', 'homeassistant']);
  for (const user of ['dev-a', 'dev-b', 'operator', 'homeassistant']) passwords[user] = secret(user);
  site = await startShippedBroker({ pki, users: passwords, dir: work });
  describeItem(
    '7',
    'Security: TLS only, certificates and passwords, a per-device ACL, no shell',
    'The pass/fail results are the same on a Pi: they are properties of the broker configuration and of the ' +
      'agent\'s validation, not of speed. A TLS handshake with an EC P-256 certificate costs a Pi 3/4 tens of ms ' +
      'more than here, once per connection.',
  );

  operator = await Recorder.connect(site.url, ['edge/#', 'homeassistant/#'], { clientId: 'operator-1', ...clientTls(pki, 'operator', passwords.operator) } as IClientOptions);
  recorders.push(operator);

  const images = join(work, 'images');
  mkdirSync(images);
  for (const name of ['bird.png', 'cat.png']) symlinkSync(imagePath(name), join(images, name));
  const configA = join(work, 'dev-a.yaml');
  writeFileSync(configA, `model:\n  file: ${model}\n${agentMqttYaml(site.url, pki, 'dev-a', passwords['dev-a'])}\n`);
  agents.push(startAgent(['--simulate', '--images', images, '--fps', '4', '--device-id', 'dev-a', '--data-dir', join(work, 'data-a'), '--config', configA]));
  // Device B captures through fswebcam (the fake one, which logs every argv it gets).
  const configB = join(work, 'dev-b.yaml');
  writeFileSync(configB, `model:\n  file: ${model}\ncamera:\n  type: usb\n  fps: 2\n  usb:\n    device: /dev/video0\n${agentMqttYaml(site.url, pki, 'dev-b', passwords['dev-b'])}\n`);
  agents.push(
    startAgent(['--device-id', 'dev-b', '--data-dir', join(work, 'data-b'), '--config', configB], {
      PATH: `${fakeBin}:${process.env.PATH}`,
      FAKE_CAMERA_ARGV_LOG: argvLogB,
    }),
  );
  await operator.until(
    (r) => ['dev-a', 'dev-b'].every((d) => r.on(`edge/${d}/status`).some((m) => m.text === 'online') && r.results(`edge/${d}/result`).length >= 2 && r.on(`edge/${d}/telemetry`).length > 0),
    'both agents online with results and telemetry',
    30_000,
  );
});

afterAll(async () => {
  for (const r of recorders) await r.close().catch(() => {});
  // SIGTERM, not cleanup()'s SIGKILL: device B's agent must end its capture program, which
  // would otherwise outlive it and write into the folder being removed.
  await Promise.all(agents.map((a) => a.stop('SIGTERM').catch(() => {})));
  await site?.broker.cleanup();
  await cleanup();
});

interface Attempt {
  connected: boolean;
  error: string;
}

/** One connection attempt, no retries: whether the broker let the client in, and why not. */
function attempt(url: string, options: IClientOptions): Promise<Attempt> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5000, clientId: `probe-${Math.random().toString(36).slice(2)}`, ...options });
  return new Promise((resolve) => {
    let settled = false;
    const done = (connected: boolean, error: string): void => {
      if (settled) return;
      settled = true;
      client.end(true);
      resolve({ connected, error });
    };
    client.once('connect', () => done(true, ''));
    client.once('error', (err) => done(false, err.message));
    client.once('close', () => done(false, 'the connection was closed by the broker'));
  });
}

describe('item 7: the shipped broker configuration', () => {
  it('lets the agents in with their certificates and passwords, each writing its own topics and discovery', () => {
    for (const device of ['dev-a', 'dev-b']) {
      const results = operator.results(`edge/${device}/result`);
      expect(results.every((r) => r.device === device)).toBe(true);
      expect(operator.on(`edge/${device}/telemetry`).length).toBeGreaterThan(0);
      // Discovery is confined to homeassistant/sensor/<own id>/..., and allowed there.
      const discovery = operator.on(new RegExp(`^homeassistant/sensor/${device}/.+/config$`));
      expect(discovery.length).toBeGreaterThanOrEqual(4);
    }
    for (const agent of agents) {
      // The ACL gives each agent its command subscription and Home Assistant's birth topic.
      expect(agent.logs().filter((l) => /refused these subscriptions/.test(String(l.msg)))).toEqual([]);
    }
    expect(site.broker.output()).toMatch(/New client connected from .* as edge-agent-dev-a \(.*u'dev-a'\)/);
  });

  it('refuses plain-text MQTT, anonymous clients, a missing certificate, a wrong password and another device\'s name', async () => {
    // Only the TLS port listens: no plain listener, no default 1883.
    expect(listeningPorts(site.broker.pid!)).toEqual([site.port]);
    const plain = await attempt(`mqtt://127.0.0.1:${site.port}`, { username: 'dev-a', password: passwords['dev-a'] });
    const a = clientTls(pki, 'dev-a', passwords['dev-a']);
    const noCertificate = await attempt(site.url, { ...a, cert: undefined, key: undefined } as IClientOptions);
    const anonymous = await attempt(site.url, { ...a, username: undefined, password: undefined } as IClientOptions);
    const wrongPassword = await attempt(site.url, { ...a, password: 'not-the-password' } as IClientOptions);
    const otherName = await attempt(site.url, { ...a, username: 'dev-b' } as IClientOptions);
    // Not a refusal: mosquitto does not bind the certificate to the user name (see config/mosquitto/README.md).
    const crossed = await attempt(site.url, { ...a, username: 'dev-b', password: passwords['dev-b'], clientId: 'crossed' } as IClientOptions);
    const good = await attempt(site.url, a as IClientOptions);
    expect(good).toEqual({ connected: true, error: '' });
    expect(plain.connected).toBe(false);
    expect(noCertificate.connected).toBe(false);
    expect(anonymous).toMatchObject({ connected: false, error: expect.stringMatching(/not authori[sz]ed/i) });
    expect(wrongPassword).toMatchObject({ connected: false, error: expect.stringMatching(/not authori[sz]ed/i) });
    expect(otherName).toMatchObject({ connected: false, error: expect.stringMatching(/not authori[sz]ed/i) });
    expect(crossed.connected).toBe(true);
    expect(site.broker.output()).toMatch(/wrong version number/);
    expect(site.broker.output()).toMatch(/peer did not return a certificate/);
    recordFigure('7', 'TLS only, certificate and password', {
      'listening ports': `${listeningPorts(site.broker.pid!).length} (the TLS listener)`,
      'plain mqtt:// to the TLS port': plain.connected ? 'connected' : 'refused (broker: wrong version number)',
      'TLS without a client certificate': noCertificate.connected ? 'connected' : 'refused (broker: peer did not return a certificate)',
      'certificate, no user name': anonymous.connected ? 'connected' : `refused (${anonymous.error})`,
      'certificate, wrong password': wrongPassword.connected ? 'connected' : `refused (${wrongPassword.error})`,
      'device A certificate and password, user name of device B': otherName.connected ? 'connected' : `refused (${otherName.error})`,
      'device A certificate and password': good.connected ? 'connected' : 'refused',
      'device A certificate with device B\'s user name and password': crossed.connected ? 'connected: the certificate is not bound to the user name (use_identity_as_username binds it, without passwords)' : 'refused',
    }, 'mosquitto runs config/mosquitto/mosquitto.conf and acl as shipped (paths, port and password file replaced); each connection attempt is made once, with mqtt.js, without retries. Both agents connected with their own certificate and password and published results, telemetry and their own discovery.');
  });

  it('a client with device A\'s certificate and password can neither write nor read device B\'s topics', async () => {
    const rogue = await Recorder.connect(site.url, [], { clientId: 'rogue-as-dev-a', ...clientTls(pki, 'dev-a', passwords['dev-a']) } as IClientOptions);
    recorders.push(rogue);
    const filters = ['edge/dev-b/#', 'edge/+/result', 'homeassistant/sensor/dev-b/#', '#', 'edge/dev-a/cmd/+'];
    const granted = await Promise.all(filters.map(async (f) => (await rogue.client.subscribeAsync(f, { qos: 1 }))[0].qos));
    const resultsAtSubscribe = operator.results('edge/dev-b/result').length;

    // Writes: commands, a forged result, a forged retained status and discovery, telemetry, a forged response.
    const fakeResult = JSON.stringify({ seq: 999_999, ts: new Date().toISOString(), device: 'dev-b', model: 'forged', source: 'forged', top: [], latencyMs: {} });
    const writes: [string, string, boolean][] = [
      ['edge/dev-b/cmd/pause', JSON.stringify({ id: 'rogue-pause' }), false],
      ['edge/dev-b/cmd/set-fps', JSON.stringify({ id: 'rogue-fps', fps: 0.01 }), false],
      ['edge/dev-b/cmd/reload-model', JSON.stringify({ id: 'rogue-reload', file: '/tmp/evil.tflite' }), false],
      ['edge/dev-b/result', fakeResult, false],
      ['edge/dev-b/status', 'offline', true],
      ['edge/dev-b/telemetry', JSON.stringify({ forged: true }), false],
      ['edge/dev-b/cmd/status/response', JSON.stringify({ id: 'forged', ok: true }), false],
      ['homeassistant/sensor/dev-b/top_label/config', JSON.stringify({ forged: true }), true],
    ];
    for (const [topic, payload, retain] of writes) await rogue.client.publishAsync(topic, payload, { qos: 1, retain });
    // What device A may write still goes through on this same connection.
    await rogue.client.publishAsync('edge/dev-a/telemetry', JSON.stringify({ marker: 'rogue-own-topic' }), { qos: 1 });

    // Barrier for the writes: a command the operator sends after them, answered by device B.
    await operator.client.publishAsync('edge/dev-b/cmd/status', JSON.stringify({ id: 'after-rogue' }), { qos: 1 });
    await operator.until((r) => r.on('edge/dev-b/cmd/status/response').some((m) => JSON.parse(m.text).id === 'after-rogue'), 'device B\'s answer to the operator');
    const responses = operator.on(/^edge\/dev-b\/cmd\/.+\/response$/).map((m) => JSON.parse(m.text) as { id: string; ok: boolean; paused?: boolean; fps?: number; model?: string });
    expect(responses.map((r) => r.id).filter((id) => /^rogue|^forged/.test(id))).toEqual([]);
    const status = responses.find((r) => r.id === 'after-rogue')!;
    expect(status).toMatchObject({ ok: true, paused: false, fps: 2, model: 'mobilenet_v1_0.25_128_quant' });
    expect(operator.results('edge/dev-b/result').filter((r) => r.seq === 999_999)).toEqual([]);
    expect(operator.on('edge/dev-b/telemetry').filter((m) => m.text.includes('forged'))).toEqual([]);
    expect(operator.on('edge/dev-b/status').filter((m) => m.text === 'offline')).toEqual([]);
    expect(operator.on(/^homeassistant\/sensor\/dev-b\//).filter((m) => m.text.includes('forged'))).toEqual([]);
    expect(operator.on('edge/dev-a/telemetry').some((m) => m.text.includes('rogue-own-topic'))).toBe(true);
    // Nothing retained was replaced: a newcomer sees B online and B's own discovery.
    const later = await Recorder.connect(site.url, ['edge/dev-b/status', 'homeassistant/sensor/dev-b/top_label/config'], { clientId: 'operator-2', ...clientTls(pki, 'operator', passwords.operator) } as IClientOptions);
    recorders.push(later);
    await later.until((r) => r.messages.length >= 2, 'the retained status and discovery of device B');
    expect(later.on('edge/dev-b/status').map((m) => m.text)).toEqual(['online']);
    expect(JSON.parse(later.on('homeassistant/sensor/dev-b/top_label/config')[0].text)).toMatchObject({ unique_id: 'edge-agent_dev-b_top_label' });

    // Reads: B keeps publishing; once the operator has two more of B's results, a message
    // to A's own command topic (which the rogue may read) closes the window.
    await operator.until((r) => r.results('edge/dev-b/result').length >= resultsAtSubscribe + 2, 'two more results of device B');
    await operator.client.publishAsync('edge/dev-a/cmd/barrier', JSON.stringify({ id: 'barrier' }), { qos: 1 });
    await rogue.until((r) => r.on('edge/dev-a/cmd/barrier').length > 0, 'the barrier on device A\'s command topic');
    const leaked = rogue.messages.filter((m) => !m.topic.startsWith('edge/dev-a/'));
    expect(leaked).toEqual([]);
    expect(granted.at(-1)).toBeLessThan(128);

    recordFigure('7', 'device A\'s credentials against device B', {
      'writes to device B\'s topics (commands, result, retained status and discovery, telemetry, response)': writes.length,
      'of them delivered to anyone': 0,
      'device B\'s state after the forged commands': `paused ${status.paused}, fps ${status.fps}, model ${status.model}`,
      'subscriptions tried (SUBACK codes)': filters.map((f, i) => `${f} -> ${granted[i] === 128 ? 'refused (0x80)' : `granted QoS ${granted[i]}`}`).join('; '),
      'device B messages received by the rogue client': leaked.length,
      'device B results published meanwhile (seen by the operator)': operator.results('edge/dev-b/result').length - resultsAtSubscribe,
    }, 'A second client logged in with device A\'s own certificate and password (another client id) and published QoS 1 to eight of device B\'s topics, subscribed to B\'s topics and to #, while both agents ran. Barriers (a command the operator sent afterwards, answered by B; a message on A\'s own command topic) make "nothing arrived" a fact, not a timeout. Retained status and discovery of B were unchanged for a newcomer.');
  });
});

describe('the shipped ACL and a detector', () => {
  it('lets a device write its events, object counts, snapshots and object discovery, and Home Assistant read them', async () => {
    const topics = deviceTopics('edge', 'dev-a');
    const writes = detectorTopics('dev-a');
    // Home Assistant subscribes to each state topic and camera topic its entities name.
    const homeAssistant = await Recorder.connect(site.url, [...writes, topics.telemetry], { clientId: 'home-assistant', ...clientTls(pki, 'homeassistant', passwords.homeassistant) } as IClientOptions);
    recorders.push(homeAssistant);
    // MQTT 5, so that the broker answers a refused publish with its reason instead of dropping it.
    const device = await Recorder.connect(site.url, [], { clientId: 'dev-a-detector', protocolVersion: 5, ...clientTls(pki, 'dev-a', passwords['dev-a']) } as IClientOptions);
    recorders.push(device);
    const refused: string[] = [];
    for (const topic of writes) {
      await device.client.publishAsync(topic, `acl-check ${topic}`, { qos: 1 }).catch((err: Error) => refused.push(`${topic}: ${err.message}`));
    }
    expect(refused).toEqual([]);
    // Barrier: published after the others on the same connection, so it reaches Home Assistant after them.
    await device.client.publishAsync(topics.telemetry, 'acl-barrier', { qos: 1 });
    await homeAssistant.until((r) => r.on(topics.telemetry).some((m) => m.text === 'acl-barrier'), 'the barrier on device A\'s telemetry');
    const unread = writes.filter((topic) => !homeAssistant.on(topic).some((m) => m.text === `acl-check ${topic}`));
    expect(unread).toEqual([]);
  });
});

// ---- Shell metacharacters in every camera option, through every way in ----

const METACHARACTERS = [';', '|', '&', '$', '`', '(', ')', '<', '>', '\n', "'", '"', '*', '?', '{', '}', '[', ']', '~', '!', '#', '\\', ' ', '\t'];

/** A value with shell metacharacters, usually wrapped around a command that makes the canary. */
function injection(rnd: () => number, mark: string): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const commands = [
    `;touch ${mark}`, `$(touch ${mark})`, `\`touch ${mark}\``, `|touch ${mark}`, `&&touch ${mark}`, `\ntouch ${mark}`,
    `"; touch ${mark}; "`, `' ; touch ${mark} ; '`, ` >${mark}`, ` --output ${mark}`, `$IFS;touch$IFS${mark}`, ` -o ${mark}`,
  ];
  const prefixes = ['', '/dev/video0', '640', '2', '180', 'rpicam-still', '--', '-'];
  let s = pick(prefixes);
  for (let i = 0, n = 1 + Math.floor(rnd() * 3); i < n; i++) s += rnd() < 0.6 ? pick(commands) : pick(METACHARACTERS);
  if (![...s].some((c) => METACHARACTERS.includes(c))) s += pick(METACHARACTERS);
  return s;
}

/** Every leaf key of the camera section, from the schema (so a new option is covered too). */
function cameraKeys(): string[][] {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'config/agent.schema.json'), 'utf8')) as { properties: Record<string, { properties?: Record<string, unknown> }> };
  const keys: string[][] = [];
  const walk = (node: { properties?: Record<string, unknown> }, path: string[]): void => {
    if (!node.properties) keys.push(path);
    else for (const [k, v] of Object.entries(node.properties)) walk(v as { properties?: Record<string, unknown> }, [...path, k]);
  };
  walk(schema.properties.camera, ['camera']);
  return keys;
}

const envName = (path: string[]): `EDGE_AGENT_${string}` => `EDGE_AGENT_${path.map((k) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('_')}`;

function nested(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as Record<string, unknown>);
}

describe('item 7: shell metacharacters in camera options never reach a shell', () => {
  const seed = Number(process.env.SECURITY_PROPERTY_SEED ?? Date.now() % 2 ** 31);

  it('through the configuration file and the environment (property test, every camera option, usb and libcamera)', async () => {
    const rnd = random(seed);
    const mark = join(work, 'CANARY-config');
    const argvLog = join(work, 'argv-config');
    const saved = { PATH: process.env.PATH, FAKE_CAMERA_ARGV_LOG: process.env.FAKE_CAMERA_ARGV_LOG };
    // A camera that gets created captures with the fake programs, which log their argv.
    process.env.PATH = `${fakeBin}:${process.env.PATH}`;
    process.env.FAKE_CAMERA_ARGV_LOG = argvLog;
    const keys = cameraKeys();
    const outcome = { trials: 0, refusedByTheSchema: 0, refusedByTheCamera: 0, acceptedAndCaptured: 0, acceptedAsNumber: 0 };
    const trialsPerKey = 25;
    try {
      for (const type of ['usb', 'libcamera'] as const) {
        for (const path of keys) {
          const key = path.join('.');
          for (let i = 0; i < trialsPerKey; i++) {
            outcome.trials++;
            const value = injection(rnd, mark);
            const viaEnvironment = rnd() < 0.4;
            const file = join(work, 'injected.yaml');
            const typeSetting = nested(['camera', 'type'], type);
            const document = viaEnvironment ? typeSetting : mergeDeep(typeSetting, nested(path, value));
            writeFileSync(file, stringify(document));
            const env = viaEnvironment ? { [envName(path)]: value } : {};
            const where = `seed ${seed}, ${type}, ${key} = ${JSON.stringify(value)} via ${viaEnvironment ? envName(path) : 'the file'}`;
            let config;
            try {
              ({ config } = await loadConfig({ file, env }));
            } catch (err) {
              expect(err, where).toBeInstanceOf(ConfigError);
              // A problem names the key, or for a variable the variable (which names the key).
              const named = viaEnvironment ? `${envName(path)}:` : `${key}:`;
              expect((err as ConfigError).problems.some((p) => p.includes(named)), `${where}: ${(err as Error).message}`).toBe(true);
              outcome.refusedByTheSchema++;
              continue;
            }
            const ctx = createAgentContext(config, pino({ level: 'silent' }), work);
            let camera;
            try {
              camera = createCamera(ctx);
            } catch (err) {
              expect(err, where).toBeInstanceOf(CameraError);
              outcome.refusedByTheCamera++;
              continue;
            }
            // Accepted: an option this camera does not use (camera.sim.images), or a value
            // the loader read as a number ("2\n" in a variable is 2): nothing with a
            // metacharacter is left in the configuration. It captures; the argv is checked below.
            const loaded = path.reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], config);
            expect(key === 'camera.sim.images' || typeof loaded === 'number', `${where}: loaded as ${JSON.stringify(loaded)}`).toBe(true);
            if (typeof loaded === 'number') outcome.acceptedAsNumber++;
            await camera.capture().catch(() => {});
            await camera.close();
            outcome.acceptedAndCaptured++;
          }
        }
      }
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.FAKE_CAMERA_ARGV_LOG === undefined) delete process.env.FAKE_CAMERA_ARGV_LOG;
      else process.env.FAKE_CAMERA_ARGV_LOG = saved.FAKE_CAMERA_ARGV_LOG;
    }
    const calls = argvCalls(argvLog);
    expect(calls.length).toBe(outcome.acceptedAndCaptured);
    for (const call of calls) {
      for (const arg of call) expect(arg, `seed ${seed}: ${JSON.stringify(call)}`).toMatch(PLAIN);
      expect(call.join(' '), `seed ${seed}`).not.toContain('CANARY');
    }
    expect(existsSync(mark), `seed ${seed}`).toBe(false);
    recordFigure('7', 'camera options: configuration file and environment', {
      seed,
      'camera options (from the schema) x camera types': `${keys.length} x 2`,
      trials: outcome.trials,
      'refused by the schema (exit 78 in the CLI)': outcome.refusedByTheSchema,
      'refused by the camera\'s own checks': outcome.refusedByTheCamera,
      'accepted, then captured with plain arguments': `${outcome.acceptedAndCaptured} (camera.sim.images, which usb/libcamera do not use, and ${outcome.acceptedAsNumber} variables such as "2\\n" read as the number)`,
      'injected commands run': 0,
    }, `Each trial puts one value with shell metacharacters (usually around "touch CANARY") into one camera option, through a YAML configuration file or its EDGE_AGENT_ variable, loads it as the CLI does (defaults, file, environment, schema) and creates the camera; a camera that is created captures once with fake fswebcam/rpicam-still on PATH, which log every argument. ${trialsPerKey} trials per option and camera type; the canary never appeared and every argument was a plain word.`);
  });

  it('through the command line: a bad camera option ends with exit 78 before anything runs', async () => {
    const mark = join(work, 'CANARY-cli');
    const argvLog = join(work, 'argv-cli');
    const rnd = random(seed + 1);
    const cases = cameraKeys()
      .filter((p) => p.join('.') !== 'camera.sim.images')
      .map((path, i) => ({ path, value: injection(rnd, mark), viaEnvironment: i % 2 === 1 }));
    const runs = await Promise.all(
      cases.map(async ({ path, value, viaEnvironment }, i) => {
        const file = join(work, `cli-${i}.yaml`);
        writeFileSync(file, stringify(viaEnvironment ? { camera: { type: 'usb' } } : mergeDeep({ camera: { type: 'usb' } }, nested(path, value))));
        const env = { PATH: `${fakeBin}:${process.env.PATH}`, FAKE_CAMERA_ARGV_LOG: argvLog, ...(viaEnvironment ? { [envName(path)]: value } : {}) };
        const named = viaEnvironment ? envName(path) : path.slice(0, -1).join('.');
        return { key: path.join('.'), named, run: await runCli(['run', '--config', file, '--data-dir', join(work, `cli-data-${i}`), '--model', model], { env, timeoutMs: 30_000 }) };
      }),
    );
    for (const { key, named, run } of runs) {
      expect(run.code, `${key}: ${run.stderr}`).toBe(78);
      expect(run.stderr).toContain(named);
    }
    expect(argvCalls(argvLog)).toEqual([]);
    expect(existsSync(mark)).toBe(false);
    recordFigure('7', 'camera options: command line', {
      'edge-agent run processes': runs.length,
      'exit 78 (configuration error)': runs.filter((r) => r.run.code === 78).length,
      'capture programs started': 0,
    }, 'One `edge-agent run` per camera option (usb camera), half with the value in the configuration file and half in its EDGE_AGENT_ variable, fake capture programs first on PATH.');
  });

  it('through MQTT commands: a running usb-camera agent takes fuzzed commands and runs fswebcam with the same plain arguments only', async () => {
    const rnd = random(seed + 2);
    const mark = join(work, 'CANARY');
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const responseOf = async (name: string, payload: string, id: string | null): Promise<{ id: string | null; ok: boolean; error?: string } & Record<string, unknown>> => {
      const topic = `edge/dev-b/cmd/${name}/response`;
      const before = operator.on(topic).length;
      await operator.client.publishAsync(`edge/dev-b/cmd/${name}`, payload, { qos: 1 });
      await operator.until((r) => r.on(topic).slice(before).some((m) => id === null || JSON.parse(m.text).id === id), `the response to ${name} ${id}`);
      return operator.on(topic).slice(before).map((m) => JSON.parse(m.text)).find((m) => id === null || m.id === id);
    };
    const status = await responseOf('status', JSON.stringify({ id: 'commands' }), 'commands');
    const commands = status.commands as string[];
    expect(commands).toEqual(expect.arrayContaining(['capture', 'set-fps', 'reload-model']));
    const callsBefore = argvCalls(argvLogB).length;
    const argumentNames = ['fps', 'topK', 'scoreThreshold', 'file', 'device', 'width', 'height', 'skipFrames', 'command', 'shutterUs', 'rotation', 'type', 'images', 'args', 'argv', 'shell', 'cmd'];
    const trials = 240;
    const tally = { accepted: 0, refused: 0, unknownCommand: 0 };
    const one = async (i: number): Promise<void> => {
      const id = `fuzz-${i}`;
      const name = rnd() < 0.85 ? pick(commands) : injection(rnd, mark).replace(/[/+#\x00-\x1f\x7f]/g, '');
      const args: Record<string, unknown> = {};
      for (let k = 0, n = Math.floor(rnd() * 3); k < n; k++) {
        const argument = pick(argumentNames);
        const roll = rnd();
        args[argument] = roll < 0.6 ? injection(rnd, mark) : roll < 0.7 ? `/tmp/${injection(rnd, mark)}.tflite` : roll < 0.8 ? [injection(rnd, mark)] : roll < 0.9 ? { toString: injection(rnd, mark) } : 1e6;
      }
      const response = await responseOf(name || 'empty', JSON.stringify({ id, ...args }), id);
      if (response.ok) tally.accepted++;
      else if (/unknown command/.test(response.error ?? '')) tally.unknownCommand++;
      else tally.refused++;
    };
    // Eight at a time: well inside the agent's queue of 32 commands, so none is refused as busy.
    for (let i = 0; i < trials; i += 8) await Promise.all(Array.from({ length: 8 }, (_, j) => one(i + j)));
    // Back to a known state (a fuzzed pause may have been accepted), then a capture on request.
    expect(await responseOf('resume', JSON.stringify({ id: 'resume' }), 'resume')).toMatchObject({ ok: true });
    const capture = await responseOf('capture', JSON.stringify({ id: 'final-capture' }), 'final-capture');
    expect(capture).toMatchObject({ ok: true, source: '/dev/video0' });

    const calls = argvCalls(argvLogB);
    expect(calls.length).toBeGreaterThan(callsBefore);
    // Every fswebcam call of the agent's life, before and during the fuzzing, had the same argv.
    for (const call of calls) expect(call).toEqual(calls[0]);
    for (const arg of calls[0]) expect(arg).toMatch(PLAIN);
    expect(existsSync(mark), `seed ${seed}`).toBe(false);
    expect(agents[1].child.exitCode).toBeNull();
    recordFigure('7', 'camera options: MQTT commands', {
      seed,
      'commands sent (operator, over TLS)': trials,
      'answered ok': tally.accepted,
      'refused (bad arguments)': tally.refused,
      'refused (unknown command)': tally.unknownCommand,
      'fswebcam runs during the agent\'s life': calls.length,
      'distinct fswebcam argument lists': new Set(calls.map((c) => c.join('\0'))).size,
      'fswebcam arguments': calls[0].slice(1).join(' '),
      'injected commands run': 0,
    }, 'The agent of device B runs with camera.type usb and fake fswebcam on PATH (logging every argv). The operator sends it fuzzed commands: its registered command names (85%) or names made of shell metacharacters, with zero to two arguments named like command or camera options, holding metacharacter strings, .tflite paths with metacharacters, arrays and objects. No command carries a camera option into the agent: each is refused or changes only fps/topK/threshold/pause or loads a model by path; fswebcam ran with one argument list throughout.');
  });
});

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? mergeDeep(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
