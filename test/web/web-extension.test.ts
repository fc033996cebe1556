// The device page's server in the agent's process, on a real context: the live feed costs
// nothing (no listeners, no timers, no frames kept) while no browser is connected, sends
// frames at most maxFrameRate per second with the newest winning, serves them as the
// camera gave them, and runs commands through ctx.commands.
import { readFileSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../agent/camera/camera.js';
import type { ResultPayload } from '../../agent/pipeline/result.js';
import { WebExtension } from '../../agent/web/web-extension.js';
import { createTestContext, type TestContext } from '../support/agent-context.js';
import { freePort } from '../support/mosquitto.js';
import { imagePath } from '../support/paths.js';

interface StreamEvent {
  event: string;
  data: any;
}

/** An EventSource stand-in: parses the stream and lets a test wait for an event. */
class Stream {
  readonly events: StreamEvent[] = [];
  private waiters: (() => void)[] = [];
  private constructor(private readonly req: ClientRequest, readonly res: IncomingMessage) {
    let buffer = '';
    res.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) this.events.push({ event, data: JSON.parse(data) });
      }
      this.waiters.forEach((w) => w());
    });
  }

  static open(port: number): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => resolve(new Stream(req, res)));
      req.on('error', reject).end();
    });
  }

  of(event: string): any[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data);
  }

  until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.event))}`)), timeoutMs);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.res.once('close', () => resolve()));
    this.req.destroy();
    return closed;
  }
}

function call(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; type: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject).end(body);
  });
}

const png = readFileSync(imagePath('bird.png'));
const jpeg = readFileSync(imagePath('parrot.jpg'));

function classified(seq: number, data: Buffer): { frame: Frame; result: ResultPayload } {
  const ts = new Date().toISOString();
  return {
    frame: { data, source: `frame-${seq}`, capturedAt: Date.now(), captureMs: 1 },
    result: {
      seq, ts, device: 'web-test', model: 'm', modelSha256: 'b'.repeat(64), source: `frame-${seq}`, engine: 'js',
      top: [{ index: 1, label: `label-${seq}`, score: 0.5 }],
      latencyMs: { capture: 1, preprocess: 1, inference: 2, total: 4 },
    },
  };
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the device page server', () => {
  let t: TestContext;
  let web: WebExtension;
  let port: number;

  beforeEach(async () => {
    port = await freePort();
    t = await createTestContext({ deviceId: 'web-test', config: { web: { enabled: true, port, maxFrameRate: 2 } } });
    t.ctx.commands.register('ping', {
      args: { properties: { times: { type: 'integer' } } },
      run: async (args) => ({ pong: args.times ?? 1 }),
    });
    web = new WebExtension(t.ctx, {
      brokerConnected: () => true,
      led: () => ({ pattern: 'running', simulated: true }),
      engine: () => 'native:test',
      model: () => 'test-model',
      modelSha256: () => 'd'.repeat(64),
    });
  });

  afterEach(async () => {
    await web.stop();
    t.cleanup();
  });

  it('with no browser connected, listens to no event, runs no timer and keeps no frame', async () => {
    // Let the set-up's own timers (sockets, the test context) run out first.
    await sleep(100);
    const before = timers();
    await web.start();
    expect(t.ctx.events.listenerCount('frame')).toBe(0);
    expect(t.ctx.events.listenerCount('telemetry')).toBe(0);
    t.ctx.events.emit('frame', classified(0, png));
    expect((await call(port, 'GET', '/frames/0')).status).toBe(404);
    await sleep(100);
    expect(timers()).toBe(before);

    const stream = await Stream.open(port);
    await stream.until(() => stream.of('status').length > 0, 'status');
    expect(t.ctx.events.listenerCount('frame')).toBe(1);
    expect(t.ctx.events.listenerCount('telemetry')).toBe(1);
    expect(timers()).toBeGreaterThan(before);
    t.ctx.events.emit('frame', classified(1, png));
    await stream.until(() => stream.of('frame').length > 0, 'frame');

    await stream.close();
    await sleep(50);
    expect(t.ctx.events.listenerCount('frame')).toBe(0);
    expect(t.ctx.events.listenerCount('telemetry')).toBe(0);
    expect(timers()).toBe(before);
    expect((await call(port, 'GET', '/frames/1')).status).toBe(404);
    expect(t.problems()).toEqual([]);
  });

  it('greets a browser with hello and status, then sends frames at most maxFrameRate per second, the newest winning', async () => {
    await web.start();
    const stream = await Stream.open(port);
    await stream.until(() => stream.of('status').length > 0, 'status');
    expect(stream.of('hello')[0]).toEqual({ device: 'web-test', maxFrameRate: 2, statusSeconds: 2, zones: {} });
    expect(stream.of('status')[0]).toMatchObject({
      broker: true, outboxDepth: 0, paused: false, mode: 'continuous', degraded: {},
      led: { pattern: 'running', simulated: true }, engine: 'native:test', model: 'test-model',
      // A per-frame camera has no stream rate of its own.
      streamFps: null, framesDropped: 0,
    });

    // Ten frames in 100 ms: the first goes at once, the other nine wait for the next slot
    // (500 ms at 2 per second), where only the newest of them is sent.
    const started = Date.now();
    for (let seq = 0; seq < 10; seq++) {
      t.ctx.events.emit('frame', classified(seq, seq === 9 ? jpeg : png));
      await sleep(10);
    }
    await stream.until(() => stream.of('frame').length >= 2, 'two frames');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    await sleep(700);
    const frames = stream.of('frame');
    expect(frames.map((f) => f.seq)).toEqual([0, 9]);
    expect(frames[1]).toMatchObject({ seq: 9, source: 'frame-9', frame: 'frames/9', top: [{ label: 'label-9', score: 0.5 }] });

    // As the camera gave them: the same bytes, the type from their signature.
    const jpegFrame = await call(port, 'GET', '/frames/9');
    expect(jpegFrame.type).toBe('image/jpeg');
    expect(jpegFrame.body.equals(jpeg)).toBe(true);
    const pngFrame = await call(port, 'GET', '/frames/0');
    expect(pngFrame.type).toBe('image/png');
    expect(pngFrame.body.equals(png)).toBe(true);
    expect((await call(port, 'GET', '/frames/5')).status).toBe(404);
    await stream.close();
  });

  it('shows the stream rate, and serves a raw frame as a JPEG encoded when it is asked for', async () => {
    await web.start();
    for (let i = 0; i < 5; i++) t.ctx.stats.stream.recordFrame();
    t.ctx.stats.framesDropped = 3;
    const stream = await Stream.open(port);
    await stream.until(() => stream.of('status').length > 0, 'status');
    expect(stream.of('status')[0]).toMatchObject({ streamFps: 0.5, framesDropped: 3 });
    // An 8x4 yuv420 frame, all mid-grey: Y 128 and neutral chroma.
    const raw = { format: 'yuv420' as const, width: 8, height: 4 };
    const item = classified(20, Buffer.alloc(8 * 4 * 1.5, 128));
    t.ctx.events.emit('frame', { ...item, frame: { ...item.frame, raw } });
    await stream.until(() => stream.of('frame').some((f) => f.seq === 20), 'the raw frame');
    const served = await call(port, 'GET', '/frames/20');
    expect(served.type).toBe('image/jpeg');
    const meta = await sharp(served.body).metadata();
    expect([meta.width, meta.height]).toEqual([8, 4]);
    await stream.close();
  });

  it('runs commands through ctx.commands, only with a JSON body', async () => {
    await web.start();
    const json = { 'content-type': 'application/json' };
    const ok = await call(port, 'POST', '/commands/ping', '{"id":"w1","times":3}', json);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toEqual({ id: 'w1', ok: true, pong: 3 });

    const badArgs = await call(port, 'POST', '/commands/ping', '{"times":"many"}', json);
    expect(badArgs.status).toBe(400);
    expect(JSON.parse(badArgs.body.toString())).toMatchObject({ ok: false, error: expect.stringMatching(/bad arguments for ping/) });
    const unknown = await call(port, 'POST', '/commands/launch', '{}', json);
    expect(JSON.parse(unknown.body.toString()).error).toMatch(/unknown command 'launch'/);

    // What a form or a "simple" cross-site fetch can send is refused before anything runs.
    expect((await call(port, 'POST', '/commands/ping', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call(port, 'POST', '/commands/ping', 'times=1', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await call(port, 'POST', '/commands/ping', 'x'.repeat(20_000), json)).status).toBe(413);
    expect((await call(port, 'GET', '/commands/ping')).status).toBe(404);
  });

  it('serves its page, scripts and uPlot from the installation, and nothing else', async () => {
    await web.start();
    const page = await call(port, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body.toString()).toContain('src="device.js"');
    for (const path of ['/device.js', '/device.css', '/common.css', '/favicon.svg', '/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css']) {
      expect((await call(port, 'GET', path)).status, path).toBe(200);
    }
    for (const path of ['/../package.json', '/vendor/../../package.json', '/fleet.js', '/web-token', '/%2e%2e/package.json']) {
      expect((await call(port, 'GET', path)).status, path).toBe(404);
    }
  });

  it('says where it listens without naming a token, and names the address it cannot take', async () => {
    await web.start();
    const line = await t.waitForLog(/serving the device page/);
    expect(line).toMatchObject({ url: `http://127.0.0.1:${port}/`, access: 'open (loopback)' });
    const second = new WebExtension(t.ctx, { brokerConnected: () => null, led: () => null, engine: () => 'js', model: () => 'm', modelSha256: () => 'c'.repeat(64) });
    await expect(second.start()).rejects.toThrow(`web: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
    await second.stop();
  });
});
