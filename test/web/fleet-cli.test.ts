// `edge-agent fleet` as an operator starts it: a token variable that is set but unusable is
// refused before anything listens, and a device not heard from for --forget-after leaves
// the page and the --json table (a real mosquitto, real fleet processes, headless Chromium).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetProcess } from '../support/fleet-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { Recorder } from '../support/recorder.js';
import { runCli } from '../support/run-cli.js';
import { launchBrowser, type Browser } from './browser.js';

describe('edge-agent fleet, the page token', () => {
  it.each([
    ['empty', '', /EDGE_AGENT_FLEET_TOKEN is set but empty/],
    ['blank', '   ', /EDGE_AGENT_FLEET_TOKEN must be 16-256 printable characters without spaces/],
    ['too short', 'short', /EDGE_AGENT_FLEET_TOKEN must be 16-256 printable characters without spaces/],
  ])('refuses EDGE_AGENT_FLEET_TOKEN when %s, with exit 78, before listening or connecting', async (_, token, message) => {
    const port = await freePort();
    const r = await runCli(['fleet', '--mqtt-url', `mqtt://127.0.0.1:${await freePort()}`, '--port', String(port)], { env: { EDGE_AGENT_FLEET_TOKEN: token }, timeoutMs: 15_000 });
    expect(r.code, r.stderr).toBe(78);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(r.stderr).not.toMatch(/the fleet page is at|    at /);
  });
});

describe('edge-agent fleet, devices not heard from', () => {
  let broker: Mosquitto;
  let device: Recorder;
  let heartbeat: NodeJS.Timeout;
  let browser: Browser | null = null;
  let fleet: FleetProcess | null = null;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    device = await Recorder.connect(broker.url, []);
    // pi-gone said it was online once, long ago (retained, so each new subscriber hears it at once); pi-live keeps talking.
    await device.client.publishAsync('edge/pi-gone/status', 'online', { qos: 1, retain: true });
    await device.client.publishAsync('edge/pi-live/status', 'online', { qos: 1, retain: true });
    heartbeat = setInterval(() => void device.client.publishAsync('edge/pi-live/telemetry', JSON.stringify({ status: 'ok', fps: 2 }), { qos: 0 }), 200);
  });

  afterAll(async () => {
    clearInterval(heartbeat);
    await fleet?.stop();
    await browser?.close();
    await device?.close();
    await broker?.cleanup();
  });

  it('refuses a --forget-after that is not a positive number of seconds (exit 64)', async () => {
    for (const value of ['0', '-5', 'soon']) {
      const r = await runCli(['fleet', '--mqtt-url', broker.url, '--json', '--forget-after', value]);
      expect(r.code, r.stderr).toBe(64);
      expect(r.stderr).toMatch(/--forget-after must be a number of seconds/);
    }
  });

  it('--json leaves out a device not heard from within --forget-after, and keeps it by default', async () => {
    const [short, byDefault] = await Promise.all([
      runCli(['fleet', '--mqtt-url', broker.url, '--json', '--wait', '3', '--forget-after', '1']),
      runCli(['fleet', '--mqtt-url', broker.url, '--json', '--wait', '3']),
    ]);
    expect(short.code, short.stderr).toBe(0);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    const ids = (out: string): string[] => (JSON.parse(out) as { id: string }[]).map((r) => r.id);
    expect(ids(short.stdout)).toEqual(['pi-live']);
    expect(ids(byDefault.stdout)).toEqual(['pi-gone', 'pi-live']);
  });

  it('the page takes a device\'s row away once it has not been heard from for --forget-after', async () => {
    const port = await freePort();
    fleet = await FleetProcess.start(['--mqtt-url', broker.url, '--port', String(port), '--forget-after', '2']);
    browser = await launchBrowser();
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${port}/`);
    const rows = () => page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-device')));
    await expect.poll(rows, { timeout: 10_000 }).toContain('pi-live');
    // A device that speaks once while the page is open: its row appears, then goes.
    await device.client.publishAsync('edge/pi-brief/status', 'online', { qos: 1 });
    await expect.poll(rows, { timeout: 10_000 }).toContain('pi-brief');
    await expect.poll(rows, { timeout: 10_000 }).toEqual(['pi-live']);
    expect(await page.locator('#summary').textContent()).toBe('1 device, 1 online');
    expect(browser.errors).toEqual([]);
    expect(fleet.alive).toBe(true);
  });
});
