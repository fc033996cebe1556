// `edge-agent run --simulate` end to end against a real mosquitto: results, status,
// telemetry, discovery and commands, as a fleet operator would see them.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { AgentProcess } from '../support/agent-process.js';
import { imagePath, modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { Recorder } from '../support/recorder.js';

const work = mkdtempSync('/tmp/edge-agent-e2e-');
const images = ['bird.png', 'cat.png', 'parrot.jpg'];
const model = modelPath('mobilenet_v2_1.0_224_quant.tflite');
let broker: Mosquitto;
const expected = new Map<string, number>();

beforeAll(async () => {
  broker = await Mosquitto.start();
  for (const name of images) symlinkSync(imagePath(name), `${work}/${name}`);
  writeFileSync(`${work}/config.yaml`, 'mqtt:\n  telemetrySeconds: 1\n');
  const r = await runCli(['classify', '--model', model, '--json', '--top', '1', ...images.map((i) => `${work}/${i}`)]);
  for (const line of r.stdout.trim().split('\n')) {
    const { image, top } = JSON.parse(line);
    expected.set(image.split('/').pop(), top[0].index);
  }
});

afterAll(async () => {
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const agentArgs = (device: string, extra: string[]) => [
  '--simulate', '--images', work, '--mqtt-url', broker.url, '--device-id', device,
  '--data-dir', `${work}/data-${device}`, '--config', `${work}/config.yaml`, ...extra,
];

describe('edge-agent run --simulate', () => {
  it('delivers N results matching classify, status online then offline, telemetry and discovery', async () => {
    const probe = await Recorder.connect(broker.url, ['edge/e2e-1/#', 'homeassistant/#']);
    const agent = AgentProcess.start(agentArgs('e2e-1', ['--max-frames', '7', '--fps', '4']));
    expect(await agent.exited, agent.stderr).toBe(0);
    await probe.until((p) => p.on('edge/e2e-1/status').some((m) => m.text === 'offline'), 'status offline');

    const results = probe.results('edge/e2e-1/result');
    expect(results.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const r of results) {
      expect(r.device).toBe('e2e-1');
      expect(r.model).toBe('mobilenet_v2_1.0_224_quant');
      expect(r.top[0].index, r.source).toBe(expected.get(r.source));
      expect(Date.parse(r.ts)).toBeGreaterThan(0);
      expect(r.latencyMs.total).toBeGreaterThan(0);
    }
    // The simulated camera serves the folder in sorted order, looping.
    expect(results.slice(0, 3).map((r) => r.source)).toEqual(images);

    expect(probe.on('edge/e2e-1/status').map((m) => m.text)).toEqual(['online', 'offline']);
    const telemetry = probe.on('edge/e2e-1/telemetry').map((m) => JSON.parse(m.text));
    expect(telemetry.length).toBeGreaterThan(0);
    expect(telemetry[0]).toMatchObject({ device: 'e2e-1', engine: expect.stringMatching(/^(native|js)/) });
    for (const key of ['cpuTempC', 'throttled', 'load', 'memory', 'rssMb', 'eventLoopLagMs', 'fps', 'latencyMs', 'frames', 'outboxDepth']) {
      expect(telemetry[0]).toHaveProperty(key);
    }
    expect(telemetry[0].frames.errors).toEqual({ motionGate: 0, preprocess: 0, inference: 0, outbox: 0, trigger: 0 });
    const discovery = probe.on(/^homeassistant\/.+\/config$/);
    expect(discovery.length).toBeGreaterThanOrEqual(4);
    const config = JSON.parse(discovery[0].text);
    expect(config.availability_topic ?? config.availability?.[0]?.topic).toBe('edge/e2e-1/status');
    await probe.close();

    // Retained: a client that connects later still sees offline and the discovery configs
    // (the probe cannot tell: a broker clears the retain flag for subscribers already there).
    const later = await Recorder.connect(broker.url, ['edge/e2e-1/status', 'homeassistant/+/e2e-1/+/config']);
    await later.until((p) => p.on('edge/e2e-1/status').length > 0 && p.on(/^homeassistant\//).length >= 4, 'retained status and discovery');
    expect(later.on('edge/e2e-1/status')[0]).toMatchObject({ text: 'offline', retain: true });
    expect(later.on(/^homeassistant\//).every((m) => m.retain)).toBe(true);
    await later.close();
  });

  it('answers commands, refuses bad payloads without changing anything, and stops cleanly on SIGTERM', async () => {
    const probe = await Recorder.connect(broker.url, ['edge/e2e-2/#']);
    const agent = AgentProcess.start(agentArgs('e2e-2', ['--fps', '2']));
    await probe.until((p) => p.on('edge/e2e-2/status').some((m) => m.text === 'online'), 'online');
    const send = async (name: string, payload: string | Buffer) => {
      const before = probe.on(`edge/e2e-2/cmd/${name}/response`).length;
      await probe.client.publishAsync(`edge/e2e-2/cmd/${name}`, payload, { qos: 1 });
      await probe.until((p) => p.on(`edge/e2e-2/cmd/${name}/response`).length > before, `response to ${name}`);
      return JSON.parse(probe.on(`edge/e2e-2/cmd/${name}/response`)[before].text);
    };

    expect(await send('set-fps', JSON.stringify({ id: 'a', fps: 3 }))).toEqual({ id: 'a', ok: true, fps: 3 });
    const bad = [
      await send('set-fps', 'not json'),
      await send('set-fps', JSON.stringify({ id: 'b', fps: 'fast' })),
      await send('set-fps', JSON.stringify({ id: 'c', fps: -1 })),
      await send('set-fps', JSON.stringify([1, 2])),
      await send('launch-rockets', JSON.stringify({ id: 'd' })),
      await send('set-fps', Buffer.alloc(1024 * 1024, 'x')),
    ];
    for (const r of bad) {
      expect(r.ok).toBe(false);
      expect(typeof r.error).toBe('string');
    }
    expect(bad[4]).toMatchObject({ id: 'd', error: expect.stringMatching(/unknown command/) });
    const status = await send('status', JSON.stringify({ id: 'e' }));
    expect(status).toMatchObject({ id: 'e', ok: true, device: 'e2e-2', fps: 3, paused: false });

    expect(await send('pause', JSON.stringify({ id: 'f' }))).toEqual({ id: 'f', ok: true, paused: true });
    const capture = await send('capture', JSON.stringify({ id: 'g' }));
    expect(capture).toMatchObject({ id: 'g', ok: true, top: expect.any(Array) });
    expect(expected.get(capture.source)).toBe(capture.top[0].index);
    expect(await send('reload-model', JSON.stringify({ id: 'h', file: '/nonexistent.tflite' }))).toMatchObject({ id: 'h', ok: false, error: expect.stringMatching(/'\/nonexistent\.tflite' is not a file in the model directories/) });
    expect(await send('reload-model', JSON.stringify({ id: 'i', file: modelPath('mobilenet_v1_0.25_128_quant.tflite') }))).toMatchObject({ id: 'i', ok: true, model: 'mobilenet_v1_0.25_128_quant' });
    expect(await send('capture', JSON.stringify({ id: 'j' }))).toMatchObject({ ok: true });
    const results = probe.results('edge/e2e-2/result');
    expect(results.at(-1)!.model).toBe('mobilenet_v1_0.25_128_quant');

    expect(await agent.stop('SIGTERM')).toBe(0);
    await probe.until((p) => p.on('edge/e2e-2/status').some((m) => m.text === 'offline'), 'offline after SIGTERM');
    await probe.close();
  });

  it('stops cleanly on a signal that arrives while it is still starting', async () => {
    const agent = AgentProcess.start(agentArgs('e2e-early', ['--fps', '4']));
    // The first log line comes before the broker connection and the camera start.
    while (!agent.stdout.includes('\n')) {
      expect(agent.child.exitCode, agent.stderr).toBeNull();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await agent.stop('SIGTERM'), agent.stderr).toBe(0);
    expect(agent.stdout).toMatch(/edge-agent stopped/);
  });

  it('serves Prometheus metrics when metrics.enabled', async () => {
    const port = await freePort();
    writeFileSync(`${work}/metrics.yaml`, `metrics:\n  enabled: true\n  port: ${port}\n`);
    const probe = await Recorder.connect(broker.url, ['edge/e2e-3/result']);
    const agent = AgentProcess.start([
      '--simulate', '--images', work, '--mqtt-url', broker.url, '--device-id', 'e2e-3',
      '--data-dir', `${work}/data-e2e-3`, '--config', `${work}/metrics.yaml`, '--fps', '5',
    ]);
    await probe.until((p) => p.results('edge/e2e-3/result').length >= 3, 'three results');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('edge_agent_results_total')).toBeGreaterThanOrEqual(3);
    expect(value('edge_agent_frames_captured_total')).toBeGreaterThanOrEqual(3);
    expect(value('edge_agent_outbox_depth')).toBeGreaterThanOrEqual(0);
    expect(value('edge_agent_mqtt_connected')).toBe(1);
    // Histograms in seconds, which add up across a fleet; no fps gauge (it is rate() of results_total).
    expect(value('edge_agent_inference_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^edge_agent_inference_seconds_bucket\{le="0\.005"\} \d+$/m);
    expect(value('edge_agent_latency_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(value('edge_agent_latency_seconds_sum')).toBeGreaterThan(0);
    expect(text).not.toMatch(/edge_agent_fps|_ms\b/);
    // dist/build-info.json, written by npm run build (scripts/build-info.mjs).
    expect(text).toMatch(/^edge_agent_build_info\{version="\d+\.\d+\.\d+[^"]*",commit="([0-9a-f]{40}(\+dirty\.[0-9a-f]{12})?|content\.[0-9a-f]{12})",built_at="\d{4}-[^"]+Z",node="v\d+[^"]*"\} 1$/m);
    expect(value('edge_agent_mqtt_reconnects_total')).toBe(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    for (const cause of ['motionGate', 'preprocess', 'inference', 'outbox', 'trigger']) expect(text).toMatch(new RegExp(`^edge_agent_frame_errors_total\\{cause="${cause}"\\} 0$`, 'm'));
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect(await agent.stop('SIGTERM')).toBe(0);
    await probe.close();
  });

  it('exits 78 listing every configuration problem', async () => {
    writeFileSync(`${work}/bad.yaml`, 'camera:\n  fps: 0\n  kind: usb\n');
    const r = await runCli(['run', '--config', `${work}/bad.yaml`, '--data-dir', `${work}/data-bad`]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${work}/bad.yaml: camera.fps: must be > 0`);
    expect(r.stderr).toContain(`${work}/bad.yaml: camera: unknown key 'kind'`);
  });
});
