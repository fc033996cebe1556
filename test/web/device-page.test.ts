// The device page in headless Chromium, served by `edge-agent run --simulate` (a real child
// process) publishing to a real mosquitto: the frame and labels follow the results the
// agent publishes, the buttons run commands, and beyond loopback the token is required
// and never logged.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { screenshotsDir } from '../../bench/figures/bench-record.js';
import type { AgentProcess } from '../support/agent-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { imagePath, modelPath } from '../support/paths.js';
import { Recorder } from '../support/recorder.js';
import { imageFolder, IMAGES, startAgent, waitForLog } from './agents.js';
import { launchBrowser, type Browser } from './browser.js';

const work = mkdtempSync(join(tmpdir(), 'edge-agent-web-'));
let broker: Mosquitto;
let browser: Browser;
const agents: AgentProcess[] = [];
const sizes = new Map<string, [number, number]>();

beforeAll(async () => {
  imageFolder(`${work}/images`);
  for (const name of IMAGES) {
    const { width, height } = await sharp(imagePath(name)).metadata();
    sizes.set(name, [width!, height!]);
  }
  broker = await Mosquitto.start();
  browser = await launchBrowser();
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

afterAll(async () => {
  await browser?.close();
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

interface Shown {
  seq: number;
  source: string;
  label: string | null;
  labels: number;
  size: [number, number];
}

// The tests are compiled without the DOM's types; these functions run in the page.
declare const document: any;

/** What the page shows now, read in one go so that all of it is of the same frame. */
function shown(browser: Browser): Promise<Shown> {
  return browser.page.evaluate(() => {
    const img = document.getElementById('frame');
    return {
      seq: Number(document.getElementById('figure').dataset.seq),
      source: document.getElementById('source').textContent,
      label: document.querySelector('#top li:first-child .label')?.textContent ?? null,
      labels: document.querySelectorAll('#top li').length,
      size: [img.naturalWidth, img.naturalHeight] as [number, number],
    };
  });
}

/** Resolves when the page shows a frame whose seq passes `test`, fully loaded. */
function frameShown(browser: Browser, test: 'after' | 'equal', seq: number): Promise<unknown> {
  return browser.page.waitForFunction(
    ([test, seq]) => {
      const shown = Number(document.getElementById('figure').dataset.seq);
      return (test === 'after' ? shown > seq : shown === seq) && document.getElementById('frame').complete;
    },
    [test, seq] as const,
    { timeout: 20_000 },
  );
}

describe('the device page', () => {
  it('shows the current frame with its label, updates on the next frame, and its buttons pause, capture and resume', async () => {
    const port = await freePort();
    const probe = await Recorder.connect(broker.url, ['edge/web-1/result', 'edge/web-1/status']);
    const agent = startAgent({
      work, device: 'web-1', broker: broker.url, fps: 1,
      config: `web:\n  enabled: true\n  port: ${port}\n  maxFrameRate: 2\nmqtt:\n  telemetrySeconds: 1\n`,
    });
    agents.push(agent);
    expect(await waitForLog(agent, /serving the device page/)).toMatchObject({ url: `http://127.0.0.1:${port}/`, access: 'open (loopback)' });
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${port}/`);
    await frameShown(browser, 'after', -1);

    // The label on the page is the label of the result with that seq, as published on MQTT,
    // and the image is that frame's (its size is that of the file the camera served).
    const resultOf = async (seq: number) => {
      await probe.until((p) => p.results().some((r) => r.seq === seq), `result ${seq}`);
      return probe.results().find((r) => r.seq === seq)!;
    };
    const first = await shown(browser);
    const firstResult = await resultOf(first.seq);
    expect(first).toMatchObject({ source: firstResult.source, label: firstResult.top[0].label, labels: 3, size: sizes.get(firstResult.source) });

    await frameShown(browser, 'after', first.seq);
    const next = await shown(browser);
    const nextResult = await resultOf(next.seq);
    expect(next).toMatchObject({ source: nextResult.source, label: nextResult.top[0].label, size: sizes.get(nextResult.source) });
    expect(next.source).not.toBe(first.source);
    expect(next.label).not.toBe(first.label);

    await expect.poll(() => page.locator('#broker').textContent()).toBe('connected');
    expect(await page.locator('#engine').textContent()).toMatch(/^(native|js)/);
    expect(await page.locator('#led').textContent()).toMatch(/running \(simulated\)/);
    expect(await page.locator('#link').textContent()).toBe('live');

    // Pause through the page: the agent stops producing results.
    await page.click('#pause');
    await expect.poll(() => page.locator('#answer').textContent()).toBe('pause: done');
    expect(await page.locator('#paused').textContent()).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const beforeCapture = probe.results().length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(probe.results().length, 'results while paused').toBe(beforeCapture);

    // Capture now: exactly one new result, published on MQTT and shown on the page.
    await page.click('#capture');
    await expect.poll(() => page.locator('#answer').textContent(), { timeout: 10_000 }).toMatch(/^captured #\d+: /);
    const captured = Number(/#(\d+)/.exec((await page.locator('#answer').textContent())!)![1]);
    const capturedResult = await resultOf(captured);
    expect(probe.results().length).toBe(beforeCapture + 1);
    expect(await page.locator('#answer').textContent()).toBe(`captured #${captured}: ${capturedResult.top[0].label}`);
    await frameShown(browser, 'equal', captured);
    expect((await shown(browser)).label).toBe(capturedResult.top[0].label);

    await page.click('#resume');
    await expect.poll(() => page.locator('#answer').textContent()).toBe('resume: done');
    await probe.until((p) => p.results().length > beforeCapture + 1, 'results after resume');

    // Charts have a few points by now; the README's screenshot is this page (npm run docs:update takes it into docs/).
    expect(await page.locator('.uplot').count()).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    mkdirSync(screenshotsDir, { recursive: true });
    await page.screenshot({ path: join(screenshotsDir, 'device-page.png'), fullPage: true });
    expect(browser.errors).toEqual([]);
    await probe.close();
  });

  it("with a detector, draws each object's box and the zones over the frame, lists the objects and the recent events with their pictures", async () => {
    const detWork = mkdtempSync(join(tmpdir(), 'edge-agent-web-detector-'));
    try {
      mkdirSync(`${detWork}/images`);
      symlinkSync(imagePath('grace_hopper.png'), `${detWork}/images/grace_hopper.png`);
      const port = await freePort();
      const probe = await Recorder.connect(broker.url, ['edge/web-det/result']);
      const agent = startAgent({
        work: detWork, device: 'web-det', broker: broker.url, fps: 2,
        config: [
          `web:\n  enabled: true\n  port: ${port}\n  maxFrameRate: 2`,
          `model:\n  file: ${modelPath('ssd_mobilenet_v1_coco_quant.tflite')}\n  labels: ${modelPath('coco_labels.txt')}`,
          'objects:\n  confirmFrames: 2\n  zones:\n    floor: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]',
        ].join('\n') + '\n',
      });
      agents.push(agent);
      await waitForLog(agent, /serving the device page/);
      const { page } = browser;
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => document.querySelectorAll('#overlay rect.box').length > 0 && document.getElementById('frame').complete, undefined, { timeout: 20_000 });
      // The box drawn is that frame's object, in the image's pixels.
      const drawn = await page.evaluate(() => {
        const rect = document.querySelector('#overlay rect.box');
        return {
          seq: Number(document.getElementById('figure').dataset.seq),
          id: rect.getAttribute('data-id'),
          xywh: ['x', 'y', 'width', 'height'].map((k) => Number(rect.getAttribute(k))),
          texts: [...document.querySelectorAll('#overlay text')].map((t: any) => t.textContent),
          zones: document.querySelectorAll('#overlay polygon.zone').length,
          objects: [...document.querySelectorAll('#objects li')].map((li: any) => li.textContent),
        };
      });
      await probe.until((p) => p.results().some((r) => r.seq === drawn.seq), `result ${drawn.seq}`);
      const result = probe.results().find((r) => r.seq === drawn.seq)!;
      const person = result.objects!.find((o) => o.id === drawn.id)!;
      const [w, h] = sizes.get('grace_hopper.png')!;
      const [y0, x0, y1, x1] = person.box;
      expect(drawn.xywh.map((v) => Math.round(v))).toEqual([x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h].map((v) => Math.round(v)));
      expect(drawn.texts).toContain('floor');
      expect(drawn.texts.some((t: string) => t.startsWith('person '))).toBe(true);
      expect(drawn.zones).toBe(1);
      expect(drawn.objects.some((t: string) => t.includes('person') && t.includes(person.id))).toBe(true);
      // The recent events, refreshed with the status, show the person's with its picture loaded.
      await page.waitForFunction(
        (id) => [...document.querySelectorAll('#recent-events li')].some((li: any) => li.dataset.id === id && li.querySelector('img').naturalWidth > 0),
        person.id,
        { timeout: 20_000 },
      );
      expect(browser.errors).toEqual([]);
      await probe.close();
    } finally {
      rmSync(detWork, { recursive: true, force: true });
    }
  });

  it('beyond loopback, refuses requests without the token, admits it by header or ?token= login, and never logs it', async () => {
    const port = await freePort();
    const agent = startAgent({
      work, device: 'web-2', broker: broker.url, fps: 2,
      config: `web:\n  enabled: true\n  host: 0.0.0.0\n  port: ${port}\n`,
      env: { EDGE_AGENT_LOG_LEVEL: 'trace' },
    });
    agents.push(agent);
    const tokenFile = `${work}/data-web-2/web-token`;
    expect(await waitForLog(agent, /serving the device page/)).toMatchObject({ access: `token required: it is in ${tokenFile} on the device` });
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    const base = `http://127.0.0.1:${port}`;
    const json = { 'content-type': 'application/json' };

    for (const path of ['/', '/events', '/device.js', '/frames/0', '/vendor/uPlot.iife.min.js']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
    }
    const refused = await fetch(`${base}/commands/pause`, { method: 'POST', headers: json, body: '{}' });
    expect(refused.status).toBe(401);
    expect((await fetch(`${base}/`, { headers: { authorization: 'Bearer not-the-token-at-all-0123' } })).status).toBe(401);
    expect((await fetch(`${base}/?token=not-the-token-at-all-0123`, { redirect: 'manual' })).status).toBe(401);

    const status = await fetch(`${base}/commands/status`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: '{}' });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ ok: true, device: 'web-2', paused: false });

    const { page, context } = browser;
    await context.clearCookies();
    await page.goto(`${base}/?token=${token}`);
    expect(page.url()).toBe(`${base}/`);
    await page.locator('#top li:first-child .label').waitFor({ timeout: 20_000 });
    const [cookie] = await context.cookies(base);
    expect(cookie).toMatchObject({ name: `edge-agent-token-${port}`, httpOnly: true, sameSite: 'Lax' });

    expect(await agent.stop()).toBe(0);
    agents.splice(agents.indexOf(agent), 1);
    const output = agent.stdout + agent.stderr;
    // The most verbose level was on: the web part's debug records are there, the token is not.
    expect(agent.logs().some((r) => r.level === 20 && r.msg === 'command' && r.via === 'web')).toBe(true);
    expect(output).toContain('serving the device page');
    expect(output).not.toContain(token);
    expect(output).not.toContain(encodeURIComponent(token));
  });
});
