import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeThrottled } from '../../agent/telemetry/host.js';
import { Mosquitto } from '../support/mosquitto.js';
import { modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

type Check = { name: string; status: string; detail: string; fix?: string };
const byName = (stdout: string) => new Map((JSON.parse(stdout) as Check[]).map((c) => [c.name, c]));

const dir = mkdtempSync('/tmp/edge-agent-doctor-');
let broker: Mosquitto;
beforeAll(async () => {
  broker = await Mosquitto.start();
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('edge-agent doctor', () => {
  it('checks the machine and every configured part, and passes on a working set-up', async () => {
    writeFileSync(`${dir}/good.yaml`, `camera:\n  type: sim\nmqtt:\n  url: ${broker.url}\ndataDir: ${dir}/data\n`);
    const r = await runCli(['doctor', '--json', '--config', `${dir}/good.yaml`]);
    expect(r.code, r.stderr).toBe(0);
    const checks = byName(r.stdout);
    expect(checks.get('node')?.status).toBe('ok');
    expect(checks.get('cpu')?.detail).toMatch(/SIMD:/);
    expect(checks.get('kernels')?.detail).toMatch(/native (x64|arm64|arm): path \w+/);
    expect(checks.get('data dir')).toMatchObject({ status: 'ok', detail: `${dir}/data: writable, and no other agent holds it` });
    expect(checks.get('trigger')).toMatchObject({ status: 'ok', detail: 'continuous at 2 fps' });
    expect(checks.get('throttling')).toBeDefined();
    expect(checks.get('model')?.detail).toMatch(/66 operators, input 1x224x224x3 uint8, 1001 labels \(stored in the model\)/);
    expect(checks.get('camera')?.detail).toMatch(/captured bird\.png/);
    expect(checks.get('gpio')?.detail).toMatch(/not used/);
    expect(checks.get('broker')).toMatchObject({ status: 'ok', detail: `${broker.url}: connected` });
  });

  it('names what is wrong with the model, camera and broker, says what to fix, and exits 1', async () => {
    writeFileSync(`${dir}/bad.yaml`, `model:\n  file: /nonexistent.tflite\ncamera:\n  type: sim\n  sim:\n    images: /nonexistent-folder\nmqtt:\n  url: mqtt://127.0.0.1:1\ndataDir: ${dir}/data\n`);
    const r = await runCli(['doctor', '--json', '--config', `${dir}/bad.yaml`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 checks failed: model, camera, broker/);
    const checks = byName(r.stdout);
    expect(checks.get('model')).toMatchObject({ status: 'fail', detail: '/nonexistent.tflite: no such file' });
    expect(checks.get('camera')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/nonexistent-folder/), fix: expect.any(String) });
    expect(checks.get('broker')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/ECONNREFUSED/), fix: expect.any(String) });
  });

  it('checks the model update-model made active, and warns when model.file wins over it', async () => {
    const pushed = readFileSync(modelPath('mobilenet_v1_0.25_128_quant.tflite'));
    const sha = createHash('sha256').update(pushed).digest('hex');
    mkdirSync(`${dir}/pushed-data/models`, { recursive: true });
    writeFileSync(`${dir}/pushed-data/models/${sha}.tflite`, pushed);
    writeFileSync(`${dir}/pushed-data/models/active.json`, JSON.stringify({ name: 'small', sha256: sha, labelsSha256: null, url: 'http://files.local/small.tflite', updatedAt: '2026-12-07T21:00:00.000Z' }));
    writeFileSync(`${dir}/pushed.yaml`, `camera:\n  type: sim\ndataDir: ${dir}/pushed-data\n`);
    const used = byName((await runCli(['doctor', '--json', '--config', `${dir}/pushed.yaml`])).stdout).get('model');
    expect(used).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^pushed with update-model from http:\/\/files\.local\/small\.tflite at .+: .+\/[0-9a-f]{64}\.tflite: a classifier, 31 operators, input 1x128x128x3 uint8/) });

    writeFileSync(`${dir}/pinned.yaml`, `model:\n  file: ${modelPath('mobilenet_v2_1.0_224_quant.tflite')}\ncamera:\n  type: sim\ndataDir: ${dir}/pushed-data\n`);
    const pinned = byName((await runCli(['doctor', '--json', '--config', `${dir}/pinned.yaml`])).stdout).get('model');
    expect(pinned).toMatchObject({ status: 'warn', detail: expect.stringMatching(/input 1x224x224x3 uint8.+\(model\.file or model\.labels is set in .+pinned\.yaml, which wins over the model update-model made active, small \(sha256 [0-9a-f]{12}\)\)$/) });
  });

  it('prints a readable report', async () => {
    const r = await runCli(['doctor', '--config', `${dir}/good.yaml`]);
    expect(r.stdout).toMatch(/^ok {2}\s+node\s+Node\.js 20/m);
    expect(r.stdout).toMatch(/^ok {2}\s+model\s+/m);
  });
});

describe('decodeThrottled', () => {
  it('names each set bit of vcgencmd get_throttled', () => {
    expect(decodeThrottled(0)).toEqual([]);
    expect(decodeThrottled(0x50005)).toEqual(['under-voltage now', 'throttled now', 'under-voltage has occurred', 'throttling has occurred']);
  });
});
