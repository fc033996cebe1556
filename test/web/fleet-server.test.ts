// The fleet page's server in-process, fed by a FleetState directly: a device not heard
// from for forgetAfterSeconds leaves the state and the open pages ('forgotten'), whether
// or not a browser is looking.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetServer } from '../../agent/web/fleet/fleet-server.js';
import { FleetState } from '../../agent/web/fleet/fleet-state.js';
import { freePort } from '../support/mosquitto.js';

interface Event {
  event: string;
  data: any;
}

/** The page's event stream, parsed; resolves once `done` holds for the events so far. */
function events(port: number, done: (events: Event[]) => boolean, timeoutMs = 10_000): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    const seen: Event[] = [];
    let partial = '';
    const req = request({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
      res.setEncoding('utf8').on('data', (d: string) => {
        const blocks = (partial + d).split('\n\n');
        partial = blocks.pop()!;
        for (const block of blocks) {
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) seen.push({ event, data: JSON.parse(data) });
        }
        if (!done(seen)) return;
        clearTimeout(timer);
        req.destroy();
        resolve(seen);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`not done within ${timeoutMs} ms; got ${JSON.stringify(seen.map((e) => e.event))}`));
    }, timeoutMs);
    req.on('error', () => {}).end();
  });
}

describe('FleetServer', () => {
  let server: FleetServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('forgets a device not heard from for forgetAfterSeconds, on the page and in the state', async () => {
    const state = new FleetState('edge');
    const msg = (text: string): Buffer => Buffer.from(text);
    state.apply('edge/pi-gone/status', msg('offline'), new Date(Date.now() - 3_600_000));
    state.apply('edge/pi-here/status', msg('online'));
    const port = await freePort();
    const reports: string[] = [];
    server = new FleetServer(state, {
      host: '127.0.0.1', port, token: null, forgetAfterSeconds: 2,
      broker: () => ({ url: 'mqtt://test', connected: true, error: null }),
      report: (err, context) => reports.push(`${context}: ${err.message}`),
    });
    await server.start();
    // Forgotten without a browser looking: the state is bounded on its own.
    await expect.poll(() => state.rows().map((r) => r.id), { timeout: 5000 }).toEqual(['pi-here']);

    // A browser looking when a device goes quiet is told which row to take away.
    const seen = await events(port, (e) => e.some((x) => x.event === 'forgotten'));
    expect(seen.find((e) => e.event === 'devices')!.data.map((r: { id: string }) => r.id)).toEqual(['pi-here']);
    expect(seen.filter((e) => e.event === 'forgotten').map((e) => e.data)).toEqual([['pi-here']]);
    expect(state.rows()).toEqual([]);
    expect(reports).toEqual([]);
  });
});
