// How commands reach the real agent (`edge-agent run --simulate`) through a real mosquitto:
// a command runs once, and only when someone meant it now. A retained command (left on
// the broker by `mosquitto_pub -r`) is not run at start, an empty payload (how a retained
// message is cleared) is not a command, a repeated id does not run again, and a command
// without an id is refused.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../../support/agent-process.js';
import { Mosquitto } from '../../support/mosquitto.js';
import { imagePath, modelPath } from '../../support/paths.js';
import { Recorder } from '../../support/recorder.js';

const work = mkdtempSync('/tmp/edge-agent-command-delivery-');
let broker: Mosquitto;
let operator: Recorder;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  broker = await Mosquitto.start();
  for (const name of ['bird.png', 'cat.png', 'parrot.jpg']) symlinkSync(imagePath(name), `${work}/${name}`);
  writeFileSync(`${work}/config.yaml`, `model:\n  file: ${modelPath('mobilenet_v1_0.25_128_quant.tflite')}\nmqtt:\n  reconnectSeconds: 0.2\n`);
  operator = await Recorder.connect(broker.url, ['edge/+/cmd/+/response', 'edge/+/result']);
});

afterEach(async () => {
  for (const agent of agents.splice(0)) if (agent.child.exitCode === null) await agent.stop('SIGKILL');
});

afterAll(async () => {
  await operator?.close();
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

type Response = { id: string | null; ok: boolean; error?: string } & Record<string, unknown>;

async function startAgent(device: string): Promise<AgentProcess> {
  const agent = AgentProcess.start([
    '--simulate', '--images', work, '--mqtt-url', broker.url, '--device-id', device,
    '--data-dir', `${work}/data-${device}`, '--config', `${work}/config.yaml`, '--fps', '5',
  ]);
  agents.push(agent);
  // Running and connected: its first results have reached the operator.
  const before = operator.results(`edge/${device}/result`).length;
  await operator.until((r) => r.results(`edge/${device}/result`).length >= before + 2, `results from ${device}`);
  return agent;
}

const responses = (device: string, name: string): Response[] =>
  operator.on(`edge/${device}/cmd/${name}/response`).map((m) => JSON.parse(m.text) as Response);

/** Publishes a command and resolves with the response carrying `id` (the nth one with it). */
async function send(device: string, name: string, payload: string, id: string, nth = 1): Promise<Response> {
  await operator.client.publishAsync(`edge/${device}/cmd/${name}`, payload, { qos: 1 });
  const mine = (): Response[] => responses(device, name).filter((r) => r.id === id);
  await operator.until(() => mine().length >= nth, `response ${nth} to ${name} ${id}`);
  return mine()[nth - 1];
}

const status = async (device: string, id: string): Promise<Response> => send(device, 'status', JSON.stringify({ id }), id);

const warnings = (agent: AgentProcess, pattern: RegExp): Record<string, unknown>[] =>
  agent.logs().filter((l) => (l.level as number) >= 40 && pattern.test(String(l.msg)));

describe('commands over MQTT run once, and only when meant', () => {
  it('a retained pause does not pause the agent at start (nor at the next start), and clearing it does nothing', async () => {
    const device = 'cd-retained';
    const topic = `edge/${device}/cmd/pause`;
    await operator.client.publishAsync(topic, JSON.stringify({ id: 'left-behind' }), { qos: 1, retain: true });

    for (const start of [1, 2]) {
      const agent = await startAgent(device);
      expect(await status(device, `status-${start}`)).toMatchObject({ ok: true, paused: false });
      // One warning naming the topic and how to clear it, however often the broker delivers it.
      const warned = warnings(agent, /retained/);
      expect(warned, agent.stdout.slice(-3000)).toHaveLength(1);
      expect(warned[0]).toMatchObject({ topic });
      expect(String(warned[0].msg)).toContain(`mosquitto_pub -r -n -t ${topic}`);
      expect(await agent.stop()).toBe(0);
    }

    const agent = await startAgent(device);
    await operator.client.publishAsync(topic, '', { qos: 1, retain: true });
    // A status sent after the clearing is answered after the agent has seen it.
    expect(await status(device, 'after-clearing')).toMatchObject({ ok: true, paused: false });
    const results = operator.results(`edge/${device}/result`).length;
    await operator.until((r) => r.results(`edge/${device}/result`).length >= results + 2, 'results after the clearing');
    expect(responses(device, 'pause')).toEqual([]);
    expect(agent.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(await agent.stop()).toBe(0);
  });

  it('runs a command whose id it has seen before only once, and answers the repeat with the first response', async () => {
    const device = 'cd-repeat';
    const agent = await startAgent(device);
    const first = await send(device, 'pause', JSON.stringify({ id: 'p1' }), 'p1');
    expect(first).toEqual({ id: 'p1', ok: true, paused: true });
    expect(await send(device, 'resume', JSON.stringify({ id: 'r1' }), 'r1')).toEqual({ id: 'r1', ok: true, paused: false });
    // The same pause again, as a broker redelivers it over a persistent session.
    expect(await send(device, 'pause', JSON.stringify({ id: 'p1' }), 'p1', 2)).toEqual(first);
    expect(await status(device, 's1')).toMatchObject({ ok: true, paused: false });
    // The same id with another payload is no repeat but a reused id: refused, nothing changes.
    expect(await send(device, 'set-fps', JSON.stringify({ id: 'f1', fps: 4 }), 'f1')).toEqual({ id: 'f1', ok: true, fps: 4 });
    expect(await send(device, 'set-fps', JSON.stringify({ id: 'f1', fps: 1 }), 'f1', 2)).toEqual({ id: 'f1', ok: false, error: expect.stringMatching(/id 'f1' was used for another set-fps command/) });
    expect(await status(device, 's2')).toMatchObject({ ok: true, fps: 4 });

    // A capture repeated while the first still runs: one frame, one result, the same answer twice.
    const capture = JSON.stringify({ id: 'c1' });
    const resultsBefore = operator.results(`edge/${device}/result`).length;
    await Promise.all([1, 2].map(() => operator.client.publishAsync(`edge/${device}/cmd/capture`, capture, { qos: 1 })));
    await operator.until(() => responses(device, 'capture').length >= 2, 'two responses to capture c1');
    const [a, b] = responses(device, 'capture');
    expect(a).toMatchObject({ id: 'c1', ok: true, seq: expect.any(Number) });
    expect(b).toEqual(a);
    await operator.until((r) => r.results(`edge/${device}/result`).some((x) => x.seq === a.seq), `result ${a.seq}`);
    const commandResults = operator.results(`edge/${device}/result`).slice(resultsBefore).filter((x) => x.seq === a.seq);
    expect(commandResults).toHaveLength(1);
    expect(await agent.stop()).toBe(0);
  });

  it('refuses a command without an id with an error response, and ignores an empty payload without one', async () => {
    const device = 'cd-no-id';
    const agent = await startAgent(device);
    await operator.client.publishAsync(`edge/${device}/cmd/pause`, JSON.stringify({}), { qos: 1 });
    await operator.until(() => responses(device, 'pause').length >= 1, 'the refusal');
    expect(responses(device, 'pause')).toEqual([{ id: null, ok: false, error: expect.stringMatching(/"id"/) }]);
    await operator.client.publishAsync(`edge/${device}/cmd/pause`, '', { qos: 1 });
    expect(await status(device, 's1')).toMatchObject({ ok: true, paused: false });
    expect(responses(device, 'pause')).toHaveLength(1);
    expect(await agent.stop()).toBe(0);
  });
});
