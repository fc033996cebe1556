// A model pushed over MQTT to three agents, as `edge-agent fleet update-model` rolls it out:
// real agents, a real mosquitto and a real HTTP server the devices download from. A wrong
// sha256 stops the roll-out at its canary and changes nothing; a model that does not load
// is refused; the right one reaches every device, and stays through a restart unless a
// flag pins another model.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { Mosquitto } from '../support/mosquitto.js';
import { imagePath, modelPath } from '../support/paths.js';
import { Recorder } from '../support/recorder.js';
import { runCli } from '../support/run-cli.js';

const DEVICES = ['upd-1', 'upd-2', 'upd-3'];
const work = mkdtempSync(join(tmpdir(), 'edge-agent-update-model-'));
const pushed = readFileSync(modelPath('mobilenet_v1_0.25_128_quant.tflite'));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const pushedSha = sha256(pushed);
const startSha = sha256(readFileSync(modelPath('mobilenet_v2_1.0_224_quant.tflite')));
// Bytes that are no model, served under a sha256 that matches them.
const corrupt = randomBytes(4096);

let broker: Mosquitto;
let server: Server;
let base: string;
let probe: Recorder;
const agents = new Map<string, AgentProcess>();
const downloads: string[] = [];

function startDevice(device: string, extra: string[] = []): AgentProcess {
  const agent = AgentProcess.start([
    '--simulate', '--images', join(work, 'images'), '--mqtt-url', broker.url, '--device-id', device,
    '--data-dir', join(work, `data-${device}`), '--config', join(work, 'config.yaml'), '--fps', '4', ...extra,
  ]);
  agents.set(device, agent);
  return agent;
}

/** The sha256 of the models a device's results named since the recorder's message `from`. */
const resultShas = (device: string, from = 0): string[] =>
  probe.messages.slice(from).filter((m) => m.topic === `edge/${device}/result`).map((m) => (JSON.parse(m.text) as { modelSha256: string }).modelSha256);

async function restart(device: string, extra: string[] = []): Promise<AgentProcess> {
  expect(await agents.get(device)!.stop(), agents.get(device)!.stderr).toBe(0);
  return startDevice(device, extra);
}

beforeAll(async () => {
  broker = await Mosquitto.start();
  mkdirSync(join(work, 'images'));
  for (const name of ['bird.png', 'cat.png']) symlinkSync(imagePath(name), join(work, 'images', name));
  writeFileSync(join(work, 'config.yaml'), 'mqtt:\n  telemetrySeconds: 1\n');
  const files: Record<string, Buffer> = { '/models/mobilenet_v1_0.25_128_quant.tflite': pushed, '/models/broken.tflite': corrupt };
  server = createServer((req, res) => {
    downloads.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  probe = await Recorder.connect(broker.url, ['edge/#']);
  for (const device of DEVICES) startDevice(device);
  await probe.until((r) => DEVICES.every((d) => r.on(`edge/${d}/result`).length > 0), 'a result from every device', 60_000);
}, 90_000);

afterAll(async () => {
  await probe?.close();
  await Promise.all([...agents.values()].map((a) => (a.child.exitCode === null ? a.stop('SIGKILL') : null)));
  await new Promise((resolve) => server?.close(resolve));
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const rollout = (args: string[]) =>
  runCli(['fleet', 'update-model', '--mqtt-url', broker.url, '--watch', '2', '--answer-timeout', '60', '--json', ...args], { timeoutMs: 120_000 });

describe('update-model rolled out with fleet update-model', () => {
  it('stops at the canary on a wrong sha256: nothing changes on any device', async () => {
    const wrong = sha256(Buffer.from('not the model'));
    const from = probe.messages.length;
    const r = await rollout(['--url', `${base}/models/mobilenet_v1_0.25_128_quant.tflite`, '--sha256', wrong, '--devices', DEVICES.join(','), '--canary', '1']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`FAIL upd-1: update-model: the file at ${base}/models/mobilenet_v1_0.25_128_quant.tflite has sha256 ${pushedSha}, not ${wrong}`);
    expect(r.stderr).toMatch(/0 updated, 1 failed, 2 not tried \(stopped: the canary upd-1 failed\)/);
    const report = JSON.parse(r.stdout) as { skipped: string[] };
    expect(report.skipped).toEqual(['upd-2', 'upd-3']);
    // Only the canary was asked; the others never saw a command.
    expect(probe.messages.slice(from).filter((m) => /\/cmd\/update-model$/.test(m.topic)).map((m) => m.topic)).toEqual(['edge/upd-1/cmd/update-model']);
    await probe.until((p) => DEVICES.every((d) => resultShas(d, from).length >= 2), 'more results from every device');
    for (const d of DEVICES) expect(new Set(resultShas(d, from)), d).toEqual(new Set([startSha]));
    // The refused download is not kept.
    expect(readdirSync(join(work, 'data-upd-1', 'models'))).toEqual([]);
  }, 60_000);

  it('refuses a file that is not a model, keeping the model it runs', async () => {
    const from = probe.messages.length;
    const r = await rollout(['--url', `${base}/models/broken.tflite`, '--sha256', sha256(corrupt), '--devices', 'upd-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAIL upd-1: update-model: http:\/\/127\.0\.0\.1:\d+\/models\/broken\.tflite does not load: .+; the model is unchanged/);
    await probe.until((p) => resultShas('upd-1', from).length >= 2, 'more results from upd-1');
    expect(new Set(resultShas('upd-1', from))).toEqual(new Set([startSha]));
    expect(readdirSync(join(work, 'data-upd-1', 'models'))).toEqual([]);
  }, 60_000);

  it('updates every online device, canary first, and each keeps the model through a restart with no gap in seq', async () => {
    const from = probe.messages.length;
    const r = await rollout(['--url', `${base}/models/mobilenet_v1_0.25_128_quant.tflite`, '--sha256', pushedSha, '--canary', '1', '--parallel', '2']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { outcomes: { device: string; ok: boolean }[]; skipped: string[]; stopped: string | null };
    expect(report.outcomes.map((o) => o.device)).toEqual(expect.arrayContaining(DEVICES));
    expect(report.outcomes[0].device).toBe('upd-1');
    expect(report.outcomes.every((o) => o.ok)).toBe(true);
    expect(report).toMatchObject({ skipped: [], stopped: null });
    expect(r.stderr).toMatch(/ok {3}upd-1: runs mobilenet_v1_0\.25_128_quant \(sha256 [0-9a-f]{12}\)/);
    for (const d of DEVICES) {
      const answer = probe.messages.slice(from).find((m) => m.topic === `edge/${d}/cmd/update-model/response`);
      expect(JSON.parse(answer!.text)).toMatchObject({ ok: true, model: 'mobilenet_v1_0.25_128_quant', sha256: pushedSha, persists: true, replaced: { sha256: startSha } });
      expect(readdirSync(join(work, `data-${d}`, 'models')).sort()).toEqual(['active.json', `${pushedSha}.tflite`]);
    }
    // The fleet view shows each device's model by its sha256.
    const fleet = await runCli(['fleet', '--json', '--wait', '2', '--mqtt-url', broker.url]);
    const rows = JSON.parse(fleet.stdout) as { id: string; model: string; modelSha256: string }[];
    for (const d of DEVICES) expect(rows.find((row) => row.id === d)).toMatchObject({ model: 'mobilenet_v1_0.25_128_quant', modelSha256: pushedSha });

    const downloaded = downloads.length;
    const restartedFrom = probe.messages.length;
    const lastSeq = new Map(DEVICES.map((d) => [d, Math.max(...probe.results(`edge/${d}/result`).map((x) => x.seq))]));
    for (const d of DEVICES) await restart(d);
    await probe.until((p) => DEVICES.every((d) => resultShas(d, restartedFrom).length >= 2), 'results after the restart', 60_000);
    for (const d of DEVICES) {
      const after = probe.messages.slice(restartedFrom).filter((m) => m.topic === `edge/${d}/result`).map((m) => JSON.parse(m.text) as { seq: number; model: string; modelSha256: string });
      expect(after.every((x) => x.modelSha256 === pushedSha && x.model === 'mobilenet_v1_0.25_128_quant'), d).toBe(true);
      const seqs = probe.results(`edge/${d}/result`).map((x) => x.seq);
      expect(seqs.filter((s) => s > lastSeq.get(d)!).sort((a, b) => a - b)[0], d).toBe(lastSeq.get(d)! + 1);
    }
    // The model came from each device's own store, not from the server again.
    expect(downloads.length).toBe(downloaded);
  }, 120_000);

  it('a model given with --model at start wins over the pushed one, and says so', async () => {
    const from = probe.messages.length;
    const agent = await restart('upd-3', ['--model', modelPath('mobilenet_v2_1.0_224_quant.tflite')]);
    await probe.until((p) => resultShas('upd-3', from).length >= 2, 'results from upd-3 after its restart', 60_000);
    expect(new Set(resultShas('upd-3', from))).toEqual(new Set([startSha]));
    expect(agent.stdout).toMatch(/model\.file or model\.labels is set by a flag, which wins over the model update-model made active, mobilenet_v1_0\.25_128_quant/);
  }, 60_000);
});
