// No request can take a page server down: a corpus of hostile requests, sent as raw bytes
// over TCP to the device page of `edge-agent run --simulate` and to the page of
// `edge-agent fleet` (real child processes), each with and without an access token. Every
// request must get its answer (a 4xx status) or a closed socket, slow and silent clients
// are cut off by the header and body timeouts, the process is still running, and a good
// request is served afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from '../support/agent-process.js';
import { FleetProcess } from '../support/fleet-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { modelPath } from '../support/paths.js';
import { exchange, outcome, type ExchangeOptions, type Piece } from '../support/raw-http.js';
import { imageFolder, startAgent, waitForLog } from './agents.js';

const work = mkdtempSync(join(tmpdir(), 'edge-agent-hostile-'));
const DEVICE_TOKEN = 'device-token-0123456789-abcdef';
const FLEET_TOKEN = 'fleet-token-0123456789-abcdef';
/** Longer than the servers' header and body timeouts: a slow client still connected by then was never cut off. */
const GIVE_UP_MS = 30_000;

interface Target {
  name: string;
  kind: 'device' | 'fleet';
  port: number;
  token: string | null;
  alive(): boolean;
  exitInfo(): string;
}

let broker: Mosquitto;
const agents: AgentProcess[] = [];
const fleets: FleetProcess[] = [];
const targets: Target[] = [];

beforeAll(async () => {
  imageFolder(`${work}/images`);
  broker = await Mosquitto.start();
  for (const token of [null, DEVICE_TOKEN]) {
    const port = await freePort();
    const device = token ? 'hostile-token' : 'hostile-open';
    const agent = startAgent({
      work, device, broker: broker.url,
      config: `model:\n  file: ${modelPath('mobilenet_v1_0.25_128_quant.tflite')}\nweb:\n  enabled: true\n  port: ${port}\n  token: ${token ?? 'null'}\n`,
    });
    agents.push(agent);
    await waitForLog(agent, /serving the device page/);
    targets.push({
      name: `device page, ${token ? 'token' : 'no token'}`, kind: 'device', port, token,
      alive: () => agent.child.exitCode === null && agent.child.signalCode === null,
      exitInfo: () => `exit ${agent.child.exitCode ?? agent.child.signalCode}; stderr:\n${agent.stderr.slice(-2000)}\nlog tail:\n${agent.stdout.slice(-2000)}`,
    });
  }
  for (const token of [null, FLEET_TOKEN]) {
    const port = await freePort();
    const fleet = await FleetProcess.start(['--mqtt-url', broker.url, '--port', String(port)], token ? { EDGE_AGENT_FLEET_TOKEN: token } : {});
    fleets.push(fleet);
    targets.push({
      name: `fleet page, ${token ? 'token' : 'no token'}`, kind: 'fleet', port, token,
      alive: () => fleet.alive,
      exitInfo: () => `exit ${fleet.child.exitCode ?? fleet.child.signalCode}; stderr:\n${fleet.stderr.slice(-2000)}`,
    });
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([...agents.map((a) => a.stop()), ...fleets.map((f) => f.stop())]);
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

interface Request {
  /** Host header line for this server. */
  host: string;
  /** The token's header line where the server has one, else nothing: the request passes the guard either way. */
  auth: string;
  cookieName: string;
}

interface Case {
  name: string;
  pieces(r: Request): Piece[];
  options?: ExchangeOptions;
  /** The outcomes allowed for this server: statuses, or 'closed'. */
  expected(t: Target): string[];
}

const json = 'Content-Type: application/json\r\n';
/** Answered by the guard when the server has a token and the request has none. */
const refusedOr = (t: Target, open: string[]): string[] => (t.token ? ['401'] : open);
/** Only the device page has commands; on the fleet page their path is not found. */
const commandsOr = (t: Target, device: string[]): string[] => (t.kind === 'device' ? device : ['404']);

const cases: Case[] = [
  // Request lines and URLs
  { name: 'an absolute URL that does not parse (GET http://[)', pieces: (r) => [`GET http://[ HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'a protocol-relative URL that does not parse (GET //[)', pieces: (r) => [`GET //[ HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'an absolute URL to another host', pieces: (r) => [`GET http://attacker.example/ HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['200'] },
  { name: 'garbage for a request line', pieces: () => ['GARBAGE\r\n\r\n'], expected: () => ['400'] },
  { name: 'an unknown HTTP version', pieces: (r) => [`GET / HTTP/9.9\r\n${r.host}${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'no Host header', pieces: (r) => [`GET / HTTP/1.1\r\n${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'a Host header that is not an address', pieces: (r) => [`GET / HTTP/1.1\r\nHost: [\r\n${r.auth}\r\n`], expected: () => ['421'] },
  { name: 'bare LF line endings', pieces: (r) => [`GET / HTTP/1.1\n${r.host.trim()}\n\n`], expected: () => ['400'] },
  { name: 'a control character in the URL', pieces: (r) => [`GET /\x01 HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'raw non-ASCII bytes in the URL', pieces: (r) => [Buffer.from(`GET /\xe9\xff HTTP/1.1\r\n${r.host}${r.auth}\r\n`, 'latin1')], expected: () => ['400'] },
  { name: 'a frame number beyond any integer', pieces: (r) => [`GET /frames/99999999999999999999999999 HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['404'] },
  // Encodings
  { name: 'bad percent-encoding in the path', pieces: (r) => [`GET /%E0%A4%A HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['404'] },
  { name: 'bad percent-encoding in a frame path', pieces: (r) => [`GET /frames/%ZZ%E0 HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['404'] },
  { name: 'bad percent-encoding in the query', pieces: (r) => [`GET /?x=%E0%A4%A&%zz=%&= HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['200'] },
  { name: 'bad percent-encoding in a ?token= login', pieces: (r) => [`GET /?token=%E0%A4%A HTTP/1.1\r\n${r.host}\r\n`], expected: (t) => refusedOr(t, ['200']) },
  { name: 'bad percent-encoding in the token cookie', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}Cookie: ${r.cookieName}=%E0%A4%A\r\n\r\n`], expected: (t) => refusedOr(t, ['200']) },
  { name: 'bad percent-encoding in another cookie', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}Cookie: a=%; ${r.cookieName}=%%%; b=%E0\r\n${r.auth}\r\n`], expected: () => ['200'] },
  { name: 'bad percent-encoding in a bearer token', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}Authorization: Bearer %E0%A4%A\r\n\r\n`], expected: (t) => refusedOr(t, ['200']) },
  { name: 'a NUL byte in a header value', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}X-A: a\x00b\r\n${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'a header name with a space', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}Bad Header: a\r\n${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'a folded header line', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}X-A: a\r\n  b\r\n${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'a command body that is not UTF-8', pieces: (r) => [Buffer.from(`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 4\r\n\r\n\xff\xfe{\x00`, 'latin1')], expected: (t) => commandsOr(t, ['400']) },
  // Sizes
  { name: 'a 20 kB header', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}X-Big: ${'a'.repeat(20_000)}\r\n${r.auth}\r\n`], expected: () => ['431'] },
  { name: 'a 20 kB URL', pieces: (r) => [`GET /${'a'.repeat(20_000)} HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['431'] },
  { name: '3000 headers', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}${Array.from({ length: 3000 }, (_, i) => `X-${i}: v\r\n`).join('')}${r.auth}\r\n`], expected: () => ['431'] },
  { name: 'a 20 kB cookie', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}Cookie: ${r.cookieName}=${'%E0'.repeat(7000)}\r\n\r\n`], expected: () => ['431'] },
  { name: 'a command body over the limit', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 40000\r\n\r\n${'x'.repeat(40_000)}`], expected: (t) => commandsOr(t, ['413']) },
  { name: 'a Content-Length of a terabyte, nothing sent', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 1000000000000\r\n\r\n`], expected: (t) => commandsOr(t, ['413']) },
  // Content-Length and chunking
  { name: 'a Content-Length that is not a number', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}Content-Length: abc\r\n\r\n`], expected: () => ['400'] },
  { name: 'a negative Content-Length', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}Content-Length: -1\r\n\r\n`], expected: () => ['400'] },
  { name: 'two different Content-Lengths', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`], expected: () => ['400'] },
  { name: 'Content-Length with chunked encoding', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`], expected: () => ['400'] },
  { name: 'a bad chunk size', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Transfer-Encoding: chunked\r\n\r\nzz\r\n`], options: { end: true }, expected: (t) => commandsOr(t, ['400']) },
  // Half-sent requests
  { name: 'headers cut off, then the client closes', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}X-`], options: { end: true }, expected: () => ['400'] },
  { name: 'a body cut off, then the client closes', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 100\r\n\r\n{"id":`], options: { end: true }, expected: (t) => commandsOr(t, ['400', 'closed']) },
  { name: 'a body cut off, the client waiting', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 100\r\n\r\n{"id":`], expected: (t) => commandsOr(t, ['408', 'closed']) },
  { name: 'headers cut off, the client waiting', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}X-`], expected: () => ['408', 'closed'] },
  { name: 'a connection that sends nothing', pieces: () => [], expected: () => ['408', 'closed'] },
  // Slow clients
  { name: 'slow-loris headers (a header line every 500 ms, forever)', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}`], options: { dribble: { bytes: 'X-Slow: 1\r\n', everyMs: 500 } }, expected: () => ['408', 'closed'] },
  { name: 'a slow body (a byte every 500 ms of 1000)', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 1000\r\n\r\n`], options: { dribble: { bytes: ' ', everyMs: 500 } }, expected: (t) => commandsOr(t, ['408', 'closed']) },
  // Methods
  { name: 'an unknown method', pieces: (r) => [`BREW / HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['400'] },
  { name: 'CONNECT', pieces: () => ['CONNECT attacker.example:443 HTTP/1.1\r\nHost: attacker.example:443\r\n\r\n'], expected: () => ['closed'] },
  { name: 'DELETE on the page', pieces: (r) => [`DELETE / HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['404'] },
  { name: 'PUT on a command', pieces: (r) => [`PUT /commands/pause HTTP/1.1\r\n${r.host}${r.auth}${json}Content-Length: 2\r\n\r\n{}`], expected: () => ['404'] },
  { name: 'OPTIONS *', pieces: (r) => [`OPTIONS * HTTP/1.1\r\n${r.host}${r.auth}\r\n`], expected: () => ['404'] },
  { name: 'a command without a JSON body type', pieces: (r) => [`POST /commands/status HTTP/1.1\r\n${r.host}${r.auth}Content-Length: 2\r\n\r\n{}`], expected: (t) => commandsOr(t, ['415']) },
  { name: 'an expectation the server cannot meet', pieces: (r) => [`GET / HTTP/1.1\r\n${r.host}Expect: teapot\r\n${r.auth}\r\n`], expected: () => ['417'] },
  { name: 'a good request, then garbage on the same connection', pieces: (r) => [`GET /favicon.svg HTTP/1.1\r\n${r.host}${r.auth}\r\nGARBAGE\r\n\r\n`], expected: () => ['200'] },
];

/** A good request with the token, when the server has one. */
function good(t: Target): Piece[] {
  return [`GET / HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n${t.token ? `Authorization: Bearer ${t.token}\r\n` : ''}\r\n`];
}

describe('hostile requests to the page servers', () => {
  it('each gets a 4xx answer or a closed socket, the servers keep running and serve a good request afterwards', async () => {
    const seen: { target: string; request: string; got: string; expected: string[] }[] = [];
    await Promise.all(
      targets.flatMap((t) =>
        cases.map(async (c) => {
          const request: Request = {
            host: `Host: 127.0.0.1:${t.port}\r\n`,
            auth: t.token ? `Authorization: Bearer ${t.token}\r\n` : '',
            cookieName: `edge-agent-token-${t.port}`,
          };
          const result = await exchange(t.port, c.pieces(request), { giveUpMs: GIVE_UP_MS, ...c.options });
          seen.push({ target: t.name, request: c.name, got: outcome(result), expected: c.expected(t) });
        }),
      ),
    );
    for (const t of targets) expect(t.alive(), `${t.name} is still running (${t.exitInfo()})`).toBe(true);
    const wrong = seen.filter((s) => !s.expected.includes(s.got));
    expect(wrong, 'requests whose outcome was not the expected one').toEqual([]);
    for (const t of targets) {
      expect(outcome(await exchange(t.port, good(t), { giveUpMs: 10_000 })), `${t.name}: a good request afterwards`).toBe('200');
    }
  }, 120_000);
});
