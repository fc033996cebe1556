// reload-model on the real agent (`edge-agent run --simulate`) through a real mosquitto:
// it loads only files an operator put in the model directories (model.dirs; by default the
// install's models/ and <dataDir>/models), and the labels configured for the model the
// agent started with are not applied to another one.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { Mosquitto } from '../support/mosquitto.js';
import { imagePath, modelPath, modelsDir } from '../support/paths.js';
import { Recorder } from '../support/recorder.js';

const DEVICE = 'reload-1';
const work = mkdtempSync('/tmp/edge-agent-reload-model-');
const data = `${work}/data`;
const model = modelPath('mobilenet_v1_0.25_128_quant.tflite');
let broker: Mosquitto;
let operator: Recorder;
let agent: AgentProcess | null = null;

beforeAll(async () => {
  broker = await Mosquitto.start();
  mkdirSync(`${work}/images`);
  for (const name of ['bird.png', 'cat.png', 'parrot.jpg']) symlinkSync(imagePath(name), `${work}/images/${name}`);
  const labels = (prefix: string) => Array.from({ length: 1001 }, (_, i) => `${prefix}-${i}`).join('\n') + '\n';
  writeFileSync(`${work}/configured-labels.txt`, labels('configured'));
  mkdirSync(`${data}/models`, { recursive: true });
  copyFileSync(model, `${data}/models/copy.tflite`);
  writeFileSync(`${data}/models/operator-labels.txt`, labels('operator'));
  // Outside every model directory: a real model, and a link to it from inside one.
  copyFileSync(model, `${work}/outside.tflite`);
  symlinkSync(`${work}/outside.tflite`, `${data}/models/link-out.tflite`);
  writeFileSync(`${work}/config.yaml`, `model:\n  file: ${model}\n  labels: ${work}/configured-labels.txt\n`);
  operator = await Recorder.connect(broker.url, [`edge/${DEVICE}/cmd/+/response`, `edge/${DEVICE}/result`]);
});

afterAll(async () => {
  if (agent?.child.exitCode === null) await agent.stop('SIGKILL');
  await operator?.close();
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

type Response = { id: string | null; ok: boolean; error?: string } & Record<string, unknown>;
let ids = 0;

async function send(name: string, args: Record<string, unknown> = {}): Promise<Response> {
  const id = `r${++ids}`;
  const topic = `edge/${DEVICE}/cmd/${name}/response`;
  await operator.client.publishAsync(`edge/${DEVICE}/cmd/${name}`, JSON.stringify({ id, ...args }), { qos: 1 });
  const mine = () => operator.on(topic).map((m) => JSON.parse(m.text) as Response).find((r) => r.id === id);
  await operator.until(() => mine() !== undefined, `the response to ${name} ${id}`);
  return mine()!;
}

/** The label of the top prediction of a frame captured now. */
async function topLabel(): Promise<string> {
  const capture = await send('capture');
  expect(capture.ok, capture.error).toBe(true);
  return (capture.top as { label: string }[])[0].label;
}

describe('reload-model', () => {
  it('loads only from the model directories, with the labels of the command or of the model', async () => {
    agent = AgentProcess.start(['--simulate', '--images', `${work}/images`, '--mqtt-url', broker.url, '--device-id', DEVICE,
      '--data-dir', data, '--config', `${work}/config.yaml`, '--fps', '1']);
    // Its first result comes after its subscription to commands.
    await operator.until((r) => r.results().length > 0, 'a first result');
    expect(await topLabel()).toMatch(/^configured-/);

    // Refused with one error that does not say whether the file exists: outside, missing, "..", a link leading out.
    const dirs = `${modelsDir}, ${data}/models`;
    for (const file of [`${work}/outside.tflite`, `${work}/missing.tflite`, '../../outside.tflite', `${data}/models/../../outside.tflite`, 'link-out.tflite', '/etc/shadow.tflite']) {
      expect(await send('reload-model', { file }), file).toEqual({ id: expect.any(String), ok: false, error: `reload-model: '${file}' is not a file in the model directories (${dirs})` });
    }
    expect(await send('reload-model', { file: 'copy.tflite', labels: `${work}/configured-labels.txt` })).toMatchObject({ ok: false, error: expect.stringMatching(/configured-labels\.txt' is not a file in the model directories/) });
    expect(await topLabel()).toMatch(/^configured-/);

    // Another model: its own labels, not those configured for the first one.
    expect(await send('reload-model', { file: 'copy.tflite' })).toMatchObject({ ok: true, model: 'copy' });
    const label = await topLabel();
    expect(label).not.toMatch(/^configured-/);
    expect(label).toMatch(/[a-z]/);
    // Labels named by the command, from a model directory.
    expect(await send('reload-model', { file: `${data}/models/copy.tflite`, labels: 'operator-labels.txt' })).toMatchObject({ ok: true, model: 'copy' });
    expect(await topLabel()).toMatch(/^operator-\d+$/);
    // No file: the configured model again, with its configured labels.
    expect(await send('reload-model')).toMatchObject({ ok: true, model: 'mobilenet_v1_0.25_128_quant' });
    expect(await topLabel()).toMatch(/^configured-/);

    expect(await agent.stop()).toBe(0);
    expect(agent.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
