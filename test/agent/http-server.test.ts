// The HTTP server every page and the metrics endpoint run on: a handler that throws or
// rejects costs its request a 500 (or a closed socket, once the answer has begun) and a
// report, never the process; and the Prometheus endpoint survives the hostile requests the
// page servers are tested with.
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttp, serveHttp } from '../../agent/core/http-server.js';
import { MetricsServer } from '../../agent/telemetry/metrics-server.js';
import { createTestContext, type TestContext } from '../support/agent-context.js';
import { freePort } from '../support/mosquitto.js';
import { exchange, outcome, type ExchangeOptions, type Piece } from '../support/raw-http.js';

const get = (port: number, path: string): Piece[] => [`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`];

describe('serveHttp', () => {
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await closeHttp(server);
    server = null;
  });

  it('answers 500 for a handler that throws or rejects, closes the socket when the answer had begun, reports once per interval, and goes on serving', async () => {
    const reports: string[] = [];
    const port = await freePort();
    server = await serveHttp({ what: 'test', host: '127.0.0.1', port, report: (err, context) => reports.push(`${context}: ${err.message}`) }, (req, res) => {
      if (req.url === '/throws') throw new Error('thrown');
      return (async () => {
        await new Promise((resolve) => setImmediate(resolve));
        if (req.url === '/rejects') throw new Error('rejected');
        if (req.url === '/midway') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('half of it');
          throw new Error('midway');
        }
        res.end('fine');
      })();
    });
    expect(outcome(await exchange(port, get(port, '/throws')))).toBe('500');
    // Reported once for the first failure; the next ones within the interval are counted, not logged.
    expect(reports).toEqual(['test: GET /throws failed: thrown']);
    expect(outcome(await exchange(port, get(port, '/rejects')))).toBe('500');
    // Headers already given cannot become a 500: the socket is closed, so the client sees the answer broken off.
    expect(outcome(await exchange(port, get(port, '/midway'), { giveUpMs: 5000 }))).toBe('closed');
    expect(reports).toHaveLength(1);
    expect(outcome(await exchange(port, get(port, '/')))).toBe('200');
  });

  it('does not log the query of a failed request, which may hold an access token', async () => {
    const reports: string[] = [];
    const port = await freePort();
    server = await serveHttp({ what: 'test', host: '127.0.0.1', port, report: (err, context) => reports.push(context) }, () => {
      throw new Error('boom');
    });
    await exchange(port, get(port, '/login?token=do-not-log-me'));
    expect(reports).toEqual(['test: GET /login failed']);
  });
});

describe('the metrics server', () => {
  let t: TestContext;
  let metrics: MetricsServer;
  afterEach(async () => {
    await metrics.stop();
    t.cleanup();
  });

  it('answers hostile requests with 4xx or a closed socket, cuts slow clients off, and still serves /metrics', async () => {
    const port = await freePort();
    t = await createTestContext({ config: { metrics: { enabled: true, host: '127.0.0.1', port } } });
    metrics = new MetricsServer(t.ctx);
    await metrics.start();
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const cases: [string, Piece[], ExchangeOptions, string[]][] = [
      ['an absolute URL that does not parse', [`GET http://[ HTTP/1.1\r\n${host}\r\n`], {}, ['404']],
      ['bad percent-encoding', [`GET /metrics%E0%A4%A?%zz HTTP/1.1\r\n${host}\r\n`], {}, ['404']],
      ['garbage', ['GARBAGE\r\n\r\n'], {}, ['400']],
      ['a 20 kB header', [`GET /metrics HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`], {}, ['431']],
      ['a bad Content-Length', [`POST /metrics HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`], {}, ['400']],
      ['headers cut off, then the client closes', [`GET /metrics HTTP/1.1\r\n${host}X-`], { end: true }, ['400']],
      ['a connection that sends nothing', [], {}, ['408', 'closed']],
      ['slow-loris headers', [`GET /metrics HTTP/1.1\r\n${host}`], { dribble: { bytes: 'X-Slow: 1\r\n', everyMs: 500 } }, ['408', 'closed']],
      ['CONNECT', ['CONNECT attacker.example:443 HTTP/1.1\r\nHost: attacker.example:443\r\n\r\n'], {}, ['closed']],
    ];
    const got = await Promise.all(cases.map(async ([name, pieces, options, expected]) => ({ name, got: outcome(await exchange(port, pieces, { giveUpMs: 30_000, ...options })), expected })));
    expect(got.filter((g) => !g.expected.includes(g.got))).toEqual([]);
    expect(outcome(await exchange(port, get(port, '/metrics')))).toBe('200');
    expect(t.problems()).toEqual([]);
  }, 60_000);
});
