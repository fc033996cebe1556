// The event streams of both pages are bounded: at most MAX_CLIENTS at once per server
// (503 beyond), and a browser that does not take what is sent is dropped once
// MAX_UNSENT_BYTES wait for it, instead of being buffered without bound.
import { connect } from 'node:net';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, MAX_CLIENTS, MAX_UNSENT_BYTES } from '../../agent/web/sse.js';

interface Harness {
  hub: EventHub;
  port: number;
  /** The server side of each stream, by the name in its ?who= query. */
  streams: Map<string, ServerResponse>;
  dropped: number;
}

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

async function harness(): Promise<Harness> {
  const h: Harness = { hub: null!, port: 0, streams: new Map(), dropped: 0 };
  h.hub = new EventHub({ last: () => {}, dropped: () => h.dropped++ });
  server = createServer((req, res) => {
    h.streams.set(new URL(req.url!, 'http://x').searchParams.get('who')!, res);
    h.hub.connect(req, res, (send) => send('hello', {}));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  h.port = (server.address() as { port: number }).port;
  return h;
}

/** Opens a stream that reads everything; resolves with its response once the greeting arrived (or its refusal). */
function open(port: number, who: string): Promise<{ res: IncomingMessage; events: () => number }> {
  return new Promise((resolve, reject) => {
    let partial = '';
    let events = 0;
    const req = request({ host: '127.0.0.1', port, path: `/events?who=${who}`, agent: false }, (res) => {
      const stream = { res, events: () => events };
      if (res.statusCode !== 200) resolve(stream);
      res.setEncoding('utf8').on('data', (d: string) => {
        const blocks = (partial + d).split('\n\n');
        partial = blocks.pop()!;
        events += blocks.filter((b) => b.startsWith('event: ')).length;
        if (events > 0) resolve(stream);
      });
    });
    req.on('error', reject).end();
  });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('EventHub', () => {
  it(`takes at most ${MAX_CLIENTS} streams at once, answers 503 beyond, and takes a new one when a place is free`, async () => {
    const h = await harness();
    const streams = await Promise.all(Array.from({ length: MAX_CLIENTS }, (_, i) => open(h.port, `s${i}`)));
    expect(streams.map((s) => s.res.statusCode)).toEqual(Array(MAX_CLIENTS).fill(200));
    expect(h.hub.size).toBe(MAX_CLIENTS);
    const refused = await open(h.port, 'one-too-many');
    expect(refused.res.statusCode).toBe(503);
    expect(refused.res.headers['retry-after']).toMatch(/^\d+$/);
    expect(h.hub.size).toBe(MAX_CLIENTS);

    const closed = new Promise((resolve) => h.streams.get('s0')!.once('close', resolve));
    streams[0].res.destroy();
    await closed;
    expect((await open(h.port, 'after')).res.statusCode).toBe(200);
    for (const s of streams) s.res.destroy();
  });

  it('drops a browser that does not read once its unsent data passes the limit, while one that reads gets every event', async () => {
    const h = await harness();
    const fast = await open(h.port, 'fast');
    // A client that asks for the stream and then never reads from its socket.
    const slow = connect(h.port, '127.0.0.1');
    slow.write(`GET /events?who=slow HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`);
    slow.pause();
    while (!h.streams.has('slow') || h.hub.size < 2) await tick();
    const slowRes = h.streams.get('slow')!;

    const event = { pad: 'x'.repeat(16 * 1024) };
    let sent = 0;
    let mostUnsent = 0;
    // 64 MiB is far past the limit plus anything the kernel's socket buffers can hold.
    for (let bytes = 0; bytes < 64 * 1024 * 1024 && !slowRes.destroyed; bytes += event.pad.length) {
      h.hub.broadcast('tick', event);
      sent++;
      mostUnsent = Math.max(mostUnsent, slowRes.writableLength);
      await tick();
    }
    expect(slowRes.destroyed, `still connected with ${slowRes.writableLength} bytes unsent`).toBe(true);
    expect(mostUnsent).toBeLessThanOrEqual(MAX_UNSENT_BYTES + event.pad.length + 100);
    expect(h.dropped).toBe(1);
    while (h.hub.size > 1) await tick();
    // The reader kept everything: the greeting and every event sent while the other fell behind.
    await new Promise<void>((resolve) => {
      const check = (): void => void (fast.events() >= sent + 1 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(fast.events()).toBe(sent + 1);
    expect(h.hub.size).toBe(1);
    slow.destroy();
    fast.res.destroy();
  });
});
