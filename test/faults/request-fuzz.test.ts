// Item 11: mutated HTTP requests against the page servers. A running `edge-agent run
// --simulate` with its device page on loopback (with a token) and an `edge-agent fleet`
// (with a token) each get FAULTS_HTTP_FUZZ_CASES requests made from valid ones by a seeded
// generator: bytes flipped, lines cut or dropped, headers duplicated or oversized, bad
// percent-encoding, random methods and paths, bad Content-Lengths and chunking. Both must
// stay up, every request must be answered with a status other than a 5xx (503 is the live
// view cap) or closed, never left hanging, the agent must go on producing and delivering
// results throughout, and both pages must serve a good request at the end. A failure names
// the seed to replay it with: FAULTS_HTTP_FUZZ_SEED=<seed> (the fleet page's requests come
// from seed + 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from '../support/agent-process.js';
import { FleetProcess } from '../support/fleet-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { exchange, outcome, type Exchange } from '../support/raw-http.js';
import { Recorder } from '../support/recorder.js';
import { Rng } from '../support/rng.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, imageFolder, loggedSeqs, scratchDir, seconds, seqStream, startAgent, waitForLog, writeConfig, type LogLine } from './support.js';

const CASES = Number(process.env.FAULTS_HTTP_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FAULTS_HTTP_FUZZ_SEED ?? 11_000_011);
const DEVICE = 'fault-11';
const FPS = 4;
const DEVICE_TOKEN = 'fuzz-device-token-0123456789abcdef';
const FLEET_TOKEN = 'fuzz-fleet-token-0123456789abcdef';
/** Requests in flight per server: enough to keep both servers busy, few enough not to starve the agent's own work of the two cores. */
const IN_FLIGHT = 24;
/** Longer than the servers' 15 s request timeout: a request still unanswered by then was left hanging. */
const GIVE_UP_MS = 20_000;

let work: string;
let broker: Mosquitto;
let agent: AgentProcess;
let fleet: FleetProcess;
let results: Recorder;
let devicePort: number;
let fleetPort: number;

beforeAll(async () => {
  work = scratchDir('request-fuzz');
  broker = await Mosquitto.start();
  results = await Recorder.connect(broker.url, [`edge/${DEVICE}/result`]);
  devicePort = await freePort();
  fleetPort = await freePort();
  const config = writeConfig(work, {}, `web:\n  enabled: true\n  port: ${devicePort}\n  token: ${DEVICE_TOKEN}\n`);
  agent = startAgent(['--simulate', '--images', imageFolder(work), '--fps', String(FPS), '--device-id', DEVICE, '--data-dir', `${work}/data`, '--config', config, '--mqtt-url', broker.url]);
  await waitForLog(agent, (l) => l.msg === 'serving the device page', 'the device page');
  fleet = await FleetProcess.start(['--mqtt-url', broker.url, '--port', String(fleetPort)], { EDGE_AGENT_FLEET_TOKEN: FLEET_TOKEN });
  await results.until((r) => r.results().length >= 2, 'the first results over MQTT', 30_000);
  describeItem(
    '11',
    'Hostile HTTP requests to the page servers',
    'The outcomes (every request answered with a 4xx, 2xx/3xx or a closed socket, both processes up, results ' +
      'throughout) are the same on a Pi: they follow from the servers\' code and Node\'s parser, not from speed. ' +
      'The request rate is not: a Pi 4 accepts and parses connections several times slower than this x86 server, ' +
      'so the same flood takes longer there and takes a larger share of the CPU from inference while it lasts.',
  );
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await results?.close();
  await broker?.cleanup();
  await cleanup();
});

// ---- The generator: valid requests, then mutated ----

interface Target {
  name: 'device page' | 'fleet page';
  port: number;
  token: string;
  /** Paths of valid requests to this server. */
  gets: string[];
  posts: { path: string; body: string }[];
}

const RANDOM_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'BREW', 'get', 'G\x00T', 'GETT', ''];
const RANDOM_PATHS = [
  '*', '/', '//', '/..', '/../../etc/passwd', '/%2e%2e/%2e%2e/package.json', '/events/', '/frames/', '/frames/-1', '/frames/1e999',
  '/frames/99999999999999999999', '/commands/', '/commands/STATUS', '/commands/status/extra', '/vendor/', '/web-token', '/favicon.svg?x',
  'http://[', 'http://[::1', '//[', 'http://attacker.example/', 'https://127.0.0.1/', '?', '#', '/#frag', '/?token', '/?token=', '/;x',
];
const BAD_ENCODINGS = ['%', '%E0%A4%A', '%zz', '%%', '%00', '%C0%AF', '%ED%A0%80', '%FF%FE', '%u0041', '%2', '+%', '\u00e9', '%0d%0a'];

function baseRequest(rng: Rng, t: Target): string {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
  const host = `Host: 127.0.0.1:${t.port}\r\n`;
  const auth = [
    `Authorization: Bearer ${t.token}\r\n`,
    `Cookie: theme=dark; edge-agent-token-${t.port}=${encodeURIComponent(t.token)}\r\n`,
    '',
  ][rng.int(0, 2)];
  const roll = rng.float();
  if (roll < 0.15) return `GET /?token=${encodeURIComponent(t.token)} HTTP/1.1\r\n${host}\r\n`;
  if (roll < 0.4 && t.posts.length > 0) {
    const post = pick(t.posts);
    return `POST ${post.path} HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(post.body)}\r\n\r\n${post.body}`;
  }
  return `GET ${pick(t.gets)} HTTP/1.1\r\n${host}${auth}Accept: */*\r\nUser-Agent: fuzz/1.0\r\n\r\n`;
}

/** Mutations of a request, by name: each takes the request's bytes and the generator and returns new bytes. */
const MUTATIONS: Record<string, (b: Buffer, rng: Rng) => Buffer> = {
  'bytes flipped': (b, rng) => {
    const out = Buffer.from(b);
    for (let i = rng.int(1, 8); i > 0; i--) out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
    return out;
  },
  'random bytes inserted': (b, rng) => {
    const at = rng.int(0, b.length);
    return Buffer.concat([b.subarray(0, at), Buffer.from(rng.bytes(rng.int(1, 16))), b.subarray(at)]);
  },
  'cut short': (b, rng) => b.subarray(0, rng.int(0, b.length - 1)),
  'a line dropped': (b, rng) => {
    const lines = b.toString('latin1').split('\r\n');
    lines.splice(rng.int(0, lines.length - 1), 1);
    return Buffer.from(lines.join('\r\n'), 'latin1');
  },
  'a header duplicated': (b, rng) => {
    const lines = b.toString('latin1').split('\r\n');
    const end = Math.max(2, lines.indexOf(''));
    const i = rng.int(1, end - 1);
    lines.splice(i, 0, ...Array(rng.int(1, 60)).fill(lines[i]));
    return Buffer.from(lines.join('\r\n'), 'latin1');
  },
  'an oversized header': (b, rng) => {
    const text = b.toString('latin1');
    const at = text.indexOf('\r\n') + 2;
    const name = ['X-Big', 'Cookie', 'Authorization', 'Host', 'Content-Type'][rng.int(0, 4)];
    return Buffer.from(`${text.slice(0, at)}${name}: ${'A'.repeat(Math.floor(rng.logUniform(1000, 64_000)))}\r\n${text.slice(at)}`, 'latin1');
  },
  'bad percent-encoding': (b, rng) => {
    const text = b.toString('latin1');
    const bad = BAD_ENCODINGS[rng.int(0, BAD_ENCODINGS.length - 1)];
    // Into the path or query of the request line, or into a cookie or the bearer token.
    const spots = [text.indexOf(' ') + 2, text.indexOf(' HTTP/'), text.indexOf('edge-agent-token-'), text.indexOf('Bearer ') + 7].filter((i) => i > 1);
    const at = spots[rng.int(0, spots.length - 1)];
    return Buffer.from(text.slice(0, at) + bad + text.slice(at), 'latin1');
  },
  'a random method': (b, rng) => {
    const text = b.toString('latin1');
    return Buffer.from(RANDOM_METHODS[rng.int(0, RANDOM_METHODS.length - 1)] + text.slice(text.indexOf(' ')), 'latin1');
  },
  'a random path': (b, rng) => {
    const text = b.toString('latin1');
    const start = text.indexOf(' ') + 1;
    const end = text.indexOf(' ', start);
    const path = rng.float() < 0.7 ? RANDOM_PATHS[rng.int(0, RANDOM_PATHS.length - 1)] : `/${Buffer.from(rng.bytes(rng.int(1, 40))).toString('latin1')}`;
    return Buffer.from(text.slice(0, start) + path + text.slice(end < 0 ? text.length : end), 'latin1');
  },
  'a bad Content-Length': (b, rng) => {
    const text = b.toString('latin1').replace(/Content-Length: \d+\r\n/i, '');
    const value = ['-1', 'abc', '1e3', '99999999999999999999', '0x10', ' 5', '5, 6', String(rng.int(0, 100_000)), ''][rng.int(0, 8)];
    const at = text.indexOf('\r\n') + 2;
    return Buffer.from(`${text.slice(0, at)}Content-Length: ${value}\r\n${text.slice(at)}`, 'latin1');
  },
  'chunked garbage': (b, rng) => {
    const text = b.toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n') + 2).replace(/Content-Length: \d+\r\n/i, '');
    const chunks = ['zz\r\n', '5\r\nab\r\n', 'ffffffffffffffff\r\n', '0\r\n', '1;ext=' + 'x'.repeat(rng.int(0, 20_000)) + '\r\nA\r\n0\r\n\r\n', '-1\r\n'];
    return Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n${chunks[rng.int(0, chunks.length - 1)]}`, 'latin1');
  },
  'CRLF as LF': (b) => Buffer.from(b.toString('latin1').replaceAll('\r\n', '\n'), 'latin1'),
  'a control character in a header': (b, rng) => {
    const text = b.toString('latin1');
    const at = rng.int(text.indexOf('\r\n') + 2, Math.max(text.indexOf('\r\n') + 2, text.indexOf('\r\n\r\n')));
    return Buffer.from(text.slice(0, at) + String.fromCharCode([0, 1, 8, 11, 12, 13, 27, 127][rng.int(0, 7)]) + text.slice(at), 'latin1');
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

/**
 * One mutated request: one to three mutations of a valid one (one in half of them, so that
 * many still parse and reach the servers' own code), with the names of the mutations.
 */
function mutated(rng: Rng, t: Target): { bytes: Buffer; mutations: string[] } {
  let bytes: Buffer = Buffer.from(baseRequest(rng, t), 'latin1');
  const mutations: string[] = [];
  const roll = rng.float();
  for (let i = roll < 0.5 ? 1 : roll < 0.8 ? 2 : 3; i > 0; i--) {
    const name = MUTATION_NAMES[rng.int(0, MUTATION_NAMES.length - 1)];
    bytes = MUTATIONS[name](bytes, rng);
    mutations.push(name);
  }
  return { bytes, mutations };
}

// ---- The flood ----

interface Flood {
  target: string;
  sent: number;
  statuses: Map<string, number>;
  /** Requests that got a 5xx other than 503, or were left hanging: each with its place in the seeded sequence and its first bytes. */
  bad: { index: number; got: string; mutations: string[]; request: string }[];
}

async function flood(t: Target, seed: number): Promise<Flood> {
  const rng = new Rng(seed);
  const requests = Array.from({ length: CASES }, () => mutated(rng, t));
  const result: Flood = { target: t.name, sent: 0, statuses: new Map(), bad: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      const { bytes, mutations } = requests[index];
      // Half-closed after the request, as a client with nothing more to send: a cut-off
      // request is answered (400) or closed at once rather than at the server's timeout.
      const e: Exchange = await exchange(t.port, [bytes], { end: true, giveUpMs: GIVE_UP_MS });
      result.sent++;
      const got = outcome(e);
      result.statuses.set(got, (result.statuses.get(got) ?? 0) + 1);
      if (e.gaveUp || (e.status !== null && e.status >= 500 && e.status !== 503)) {
        result.bad.push({ index, got, mutations, request: bytes.toString('latin1').slice(0, 300) });
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return result;
}

const resultTimes = (): number[] => (agent.logs() as LogLine[]).filter((l) => l.msg === 'result').map((l) => l.time as number);

describe('item 11: mutated HTTP requests to the page servers', () => {
  it(`${CASES} mutated requests to the device page and ${CASES} to the fleet page, the agent producing results throughout`, async () => {
    const device: Target = {
      name: 'device page', port: devicePort, token: DEVICE_TOKEN,
      gets: ['/', '/device.js', '/device.css', '/common.css', '/favicon.svg', '/vendor/uPlot.iife.min.js', '/events', '/frames/0', '/frames/3', '/?x=1'],
      posts: [{ path: '/commands/status', body: '{"id":"fuzz"}' }, { path: '/commands/status', body: '{}' }],
    };
    const fleetPage: Target = {
      name: 'fleet page', port: fleetPort, token: FLEET_TOKEN,
      gets: ['/', '/fleet.js', '/fleet.css', '/common.css', '/favicon.svg', '/vendor/uPlot.min.css', '/events', '/?x=1'],
      posts: [],
    };
    let agentExit: string | null = null;
    let fleetExit: string | null = null;
    agent.child.once('exit', (code, signal) => (agentExit = `code ${code}, signal ${signal}`));
    fleet.child.once('exit', (code, signal) => (fleetExit = `code ${code}, signal ${signal}`));

    const mqttBefore = results.results().length;
    const started = Date.now();
    const [onDevice, onFleet] = await Promise.all([flood(device, SEED), flood(fleetPage, SEED + 1)]);
    const ended = Date.now();
    const mqttDuring = results.results().length - mqttBefore;

    expect(agentExit, `the agent exited during the flood; stderr:\n${agent.stderr.slice(-3000)}`).toBeNull();
    expect(fleetExit, `edge-agent fleet exited during the flood; stderr:\n${fleet.stderr.slice(-3000)}`).toBeNull();
    expect(onDevice.bad, `device page requests answered 5xx or left hanging (replay: FAULTS_HTTP_FUZZ_SEED=${SEED})`).toEqual([]);
    expect(onFleet.bad, `fleet page requests answered 5xx or left hanging (replay: FAULTS_HTTP_FUZZ_SEED=${SEED})`).toEqual([]);
    expect(onDevice.sent + onFleet.sent).toBe(2 * CASES);

    // Results throughout: the flood cut into equal windows of 3 s or more (twelve frames' time
    // or more), each with results logged by the agent; and results delivered over MQTT.
    const during = resultTimes().filter((t) => t >= started && t <= ended);
    const windows = Math.max(1, Math.floor((ended - started) / 3000));
    const windowMs = (ended - started) / windows;
    const perWindow = Array.from({ length: windows }, (_, w) =>
      during.filter((t) => t >= started + w * windowMs && (w === windows - 1 || t < started + (w + 1) * windowMs)).length);
    expect(perWindow.every((n) => n > 0), `results per ${seconds(windowMs)} s of the flood: ${perWindow.join(', ')}`).toBe(true);
    expect(mqttDuring).toBeGreaterThan(0);
    const gaps = during.slice(1).map((t, i) => t - during[i]);

    // And after it: more results, with no seq missing from the whole run.
    const afterCount = resultTimes().length;
    await waitForLog(agent, () => resultTimes().length >= afterCount + 3, 'three results after the flood');
    const seqs = loggedSeqs(agent);
    const { missing } = seqStream(seqs, 0, Math.max(...seqs));
    expect(missing).toEqual([]);

    // Good requests are served at the end, and nothing failed inside either server.
    const good = (port: number, token: string, request: string): Promise<Exchange> =>
      exchange(port, [`${request.replace('\r\n', `\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n`)}`], { giveUpMs: 10_000 });
    const atTheEnd = {
      'device page GET /': outcome(await good(devicePort, DEVICE_TOKEN, 'GET / HTTP/1.1\r\n\r\n')),
      'device page POST /commands/status': outcome(await good(devicePort, DEVICE_TOKEN, 'POST /commands/status HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"id":"last"}')),
      'fleet page GET /': outcome(await good(fleetPort, FLEET_TOKEN, 'GET / HTTP/1.1\r\n\r\n')),
    };
    expect(atTheEnd).toEqual({ 'device page GET /': '200', 'device page POST /commands/status': '200', 'fleet page GET /': '200' });
    const failures = (agent.logs() as LogLine[]).filter((l) => (l.level ?? 0) >= 50);
    expect(failures, 'errors the agent logged').toEqual([]);
    expect(fleet.stderr).not.toMatch(/failed/);

    const histogram = (f: Flood): string => [...f.statuses].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
    const figures = {
      seed: `${SEED} (device page), ${SEED + 1} (fleet page)`,
      'requests sent to the device page': onDevice.sent,
      'requests sent to the fleet page': onFleet.sent,
      'device page: outcomes': histogram(onDevice),
      'fleet page: outcomes': histogram(onFleet),
      '5xx other than 503, or left hanging': onDevice.bad.length + onFleet.bad.length,
      'flood time (s)': seconds(ended - started),
      'requests per second (both servers)': Math.round((2 * CASES) / ((ended - started) / 1000)),
      'results logged by the agent during the flood': during.length,
      'results in each window of the flood (equal windows of 3 s or more)': `${perWindow.join(', ')} (windows of ${seconds(windowMs)} s)`,
      'results delivered over MQTT during the flood': mqttDuring,
      'longest gap between two results during the flood (s)': seconds(Math.max(0, ...gaps)),
      'seqs missing over the whole run': missing.length,
      'agent / fleet process after the flood': `${agentExit ?? 'running'} / ${fleetExit ?? 'running'}`,
      'good requests at the end (with the token)': Object.entries(atTheEnd).map(([k, v]) => `${k}: ${v}`).join(', '),
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    recordFigure('11', 'mutated requests to the device and fleet pages', figures,
      `A running agent (${FPS} fps, simulated camera, mosquitto) serving its device page on loopback with a token, and an ` +
        '`edge-agent fleet` page with a token, each got the same number of requests made by a seeded generator from valid ones ' +
        '(page files, /events, frames, a status command, a ?token= login; with the token as bearer, cookie or not at all), ' +
        `each changed by one to three of: ${MUTATION_NAMES.join(', ')}. Each request went on its own connection, ${IN_FLIGHT} at ` +
        'a time per server, half-closed after sending; both floods ran at once. An outcome is the first status line, or ' +
        '"closed" when the server hung up without one.');
  }, 180_000);
});
