// `edge-agent fleet` against three simulated agents (real child processes) on a real
// mosquitto: the page lists them live, sorts, and shows one going offline when it stops;
// --json prints the same table once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshotsDir } from '../../bench/figures/bench-record.js';
import type { AgentProcess } from '../support/agent-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { cli } from '../support/paths.js';
import { Recorder } from '../support/recorder.js';
import { runCli } from '../support/run-cli.js';
import { imageFolder, startAgent } from './agents.js';
import { launchBrowser, type Browser } from './browser.js';

const work = mkdtempSync(join(tmpdir(), 'edge-agent-fleet-'));
const devices = ['pi-alpha', 'pi-bravo', 'pi-charlie'];
let broker: Mosquitto;
let browser: Browser;
let agents: Map<string, AgentProcess>;
let fleet: ChildProcess | null = null;

beforeAll(async () => {
  imageFolder(`${work}/images`);
  broker = await Mosquitto.start();
  const probe = await Recorder.connect(broker.url, ['edge/+/status', 'edge/+/telemetry']);
  agents = new Map(devices.map((device) => [device, startAgent({ work, device, broker: broker.url, fps: 1, config: 'mqtt:\n  telemetrySeconds: 1\n' })]));
  // Every agent online and past its first telemetry, so both views have full rows.
  await probe.until((p) => devices.every((d) => p.on(`edge/${d}/status`).some((m) => m.text === 'online') && p.on(`edge/${d}/telemetry`).length > 0), 'three agents online with telemetry', 60_000);
  await probe.close();
  browser = await launchBrowser();
});

afterAll(async () => {
  fleet?.kill('SIGTERM');
  await browser?.close();
  await Promise.all([...(agents?.values() ?? [])].map((a) => a.stop()));
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('edge-agent fleet', () => {
  it('--json prints every device once: online, last result, fps, latency, outbox', async () => {
    const r = await runCli(['fleet', '--mqtt-url', broker.url, '--json', '--wait', '2.5']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((row: { id: string }) => row.id)).toEqual(devices);
    for (const row of rows) {
      expect(row).toMatchObject({ online: true, health: 'ok', outboxDepth: expect.any(Number), engine: expect.stringMatching(/^(native|js)/) });
      expect(row.result.label).toEqual(expect.any(String));
      expect(row.fps).toEqual(expect.any(Number));
      expect(row.latencyMs).toBeGreaterThan(0);
    }
  });

  it('--json names the broker it cannot reach', async () => {
    const r = await runCli(['fleet', '--mqtt-url', `mqtt://127.0.0.1:${await freePort()}`, '--json']);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^edge-agent: fleet: cannot reach the MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });

  it('beyond loopback, prints a login address once and refuses requests without its token', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [cli, 'fleet', '--mqtt-url', broker.url, '--host', '0.0.0.0', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const login = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        said += d.toString();
        const m = /log in once at (\S+)\)/.exec(said);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`edge-agent fleet exited (code ${code}): ${said}`)));
    });
    try {
      const token = new URL(login).searchParams.get('token')!;
      expect(token.length).toBeGreaterThanOrEqual(32);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/`)).status).toBe(401);
      expect((await fetch(`${base}/events`)).status).toBe(401);
      expect((await fetch(`${base}/events`, { headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } })).status).toBe(401);
      const redirect = await fetch(`${base}/?token=${token}`, { redirect: 'manual' });
      expect([redirect.status, redirect.headers.get('location')]).toEqual([303, '/']);
      expect((await fetch(`${base}/`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('serves a page listing the three agents live, sortable, and shows one going offline when it stops', async () => {
    const port = await freePort();
    fleet = spawn(process.execPath, [cli, 'fleet', '--mqtt-url', broker.url, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    fleet.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    await new Promise<void>((resolve, reject) => {
      fleet!.stderr!.on('data', () => said.includes('the fleet page is at') && resolve());
      fleet!.once('exit', (code) => reject(new Error(`edge-agent fleet exited (code ${code}): ${said}`)));
    });
    expect(said).toContain(`the fleet page is at http://127.0.0.1:${port}/`);

    const { page } = browser;
    await page.goto(`http://127.0.0.1:${port}/`);
    const row = (device: string) => page.locator(`tr[data-device="${device}"]`);
    for (const device of devices) await expect.poll(() => row(device).getAttribute('data-online'), { timeout: 10_000 }).toBe('true');
    expect(await page.locator('#summary').textContent()).toBe('3 devices, 3 online');
    await expect.poll(() => row('pi-bravo').locator('td[data-key="fps"]').textContent(), { timeout: 10_000 }).toMatch(/^\d+\.\d\d$/);
    // Telemetry (fps) may come before the first result.
    await expect.poll(() => row('pi-bravo').locator('td[data-key="label"]').textContent(), { timeout: 10_000 }).toMatch(/^\S.* \d\.\d\d$/);
    // The build each runs (dist/build-info.json: version and commit) and how long it has been up.
    expect(await row('pi-bravo').locator('td[data-key="version"]').textContent()).toMatch(/^\d+\.\d+\.\d+[^ ]* \(([0-9a-f]{12}(\+dirty)?|content\.[0-9a-f]{4})\)$/);
    expect(await row('pi-bravo').locator('td[data-key="uptimeSeconds"]').textContent()).toMatch(/^\d+ min$/);
    // The model by name and the first digits of its sha256, on two lines.
    expect(await row('pi-bravo').locator('td[data-key="model"]').innerText()).toMatch(/^mobilenet_\S+\n[0-9a-f]{12}$/);
    // Every column fits a laptop's width (the browser's 1280 px): none is pushed out of the page's card.
    const last = (await row('pi-bravo').locator('td[data-key="uptimeSeconds"]').boundingBox())!;
    const card = (await page.locator('main section').boundingBox())!;
    expect(last.x + last.width).toBeLessThanOrEqual(card.x + card.width);

    // Live: a new result changes the row without a reload.
    const resultAt = await row('pi-alpha').locator('td[data-key="resultTs"]').textContent();
    await expect.poll(() => row('pi-alpha').locator('td[data-key="resultTs"]').textContent(), { timeout: 10_000 }).not.toBe(resultAt);

    // Sorting: by device, then the same header again reverses.
    const order = () => page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-device')));
    expect(await order()).toEqual(devices);
    await page.click('th[data-key="id"] button');
    expect(await order()).toEqual([...devices].reverse());
    expect(await page.locator('th[data-key="id"]').getAttribute('aria-sort')).toBe('descending');

    const stopped = agents.get('pi-bravo')!;
    expect(await stopped.stop()).toBe(0);
    agents.delete('pi-bravo');
    await expect.poll(() => row('pi-bravo').getAttribute('data-online'), { timeout: 10_000 }).toBe('false');
    expect(await row('pi-bravo').locator('td[data-key="online"]').textContent()).toBe('offline');
    expect(await page.locator('#summary').textContent()).toBe('3 devices, 2 online');
    for (const device of ['pi-alpha', 'pi-charlie']) expect(await row(device).getAttribute('data-online')).toBe('true');

    // Sorted by status, the offline device goes last.
    await page.click('th[data-key="online"] button');
    expect((await order()).at(-1)).toBe('pi-bravo');
    await page.click('th[data-key="id"] button');
    mkdirSync(screenshotsDir, { recursive: true });
    const table = (await page.locator('main section').boundingBox())!;
    await page.screenshot({ path: join(screenshotsDir, 'fleet-page.png'), clip: { x: 0, y: 0, width: 1280, height: Math.ceil(table.y + table.height + 16) } });
    expect(browser.errors).toEqual([]);

    fleet.kill('SIGTERM');
    expect(await new Promise((resolve) => fleet!.once('exit', resolve))).toBe(0);
    fleet = null;
  });
});
