// The MQTT part against a real mosquitto on loopback: status and Last Will, results in
// seq order through broker and agent restarts, telemetry, discovery and commands.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentContext } from '../../../agent/core/context.js';
import { MqttExtension, type MqttExtensionOptions } from '../../../agent/mqtt/mqtt-extension.js';
import { parseLog, RecordType } from '../../../agent/outbox/outbox-log.js';
import type { ResultPayload } from '../../../agent/pipeline/result.js';
import { createTestContext, type TestContext } from '../../support/agent-context.js';
import { Mosquitto } from '../../support/mosquitto.js';
import { Recorder, sampleResult } from '../../support/recorder.js';
import { TcpProxy } from './tcp-proxy.js';

let broker: Mosquitto;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  broker = await Mosquitto.start();
});

afterAll(async () => {
  await broker?.cleanup();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let deviceCount = 0;

/** A device id of its own per test, so retained messages of one test do not reach another. */
function newDeviceId(): string {
  return `dev${++deviceCount}-${process.pid}`;
}

interface Agent {
  t: TestContext;
  ctx: AgentContext;
  ext: MqttExtension;
  topic(name: string): string;
}

async function startAgent(url: string, options: { deviceId?: string; dataDir?: string; config?: Record<string, unknown>; ext?: MqttExtensionOptions } = {}): Promise<Agent> {
  const deviceId = options.deviceId ?? newDeviceId();
  const t = await createTestContext({
    deviceId,
    dataDir: options.dataDir,
    config: { mqtt: { reconnectSeconds: 0.1 }, outbox: { flushMilliseconds: 20 }, ...(options.config ?? {}) },
  });
  const ext = new MqttExtension(t.ctx, { url, ...options.ext });
  let stopped = false;
  const agent: Agent = { t, ctx: t.ctx, ext, topic: (name) => `edge/${deviceId}/${name}` };
  const stop = ext.stop.bind(ext);
  ext.stop = async () => {
    if (stopped) return;
    stopped = true;
    await stop();
  };
  cleanups.push(() => t.cleanup());
  cleanups.push(() => ext.stop());
  await ext.start();
  return agent;
}

function brokerState(ctx: AgentContext, connected: boolean): Promise<void> {
  return new Promise((resolve) => {
    const on = (e: { connected: boolean }): void => {
      if (e.connected !== connected) return;
      ctx.events.off('broker', on);
      resolve();
    };
    ctx.events.on('broker', on);
  });
}

async function recorder(url: string, filters: string[], options: Parameters<typeof Recorder.connect>[2] = {}): Promise<Recorder> {
  const r = await Recorder.connect(url, filters, options);
  cleanups.push(() => r.close());
  return r;
}

async function proxy(): Promise<TcpProxy> {
  const p = await TcpProxy.start(broker.port);
  cleanups.push(() => p.close());
  return p;
}

/** Every seq from 0 to n-1 has arrived. */
const allSeqs = (n: number) => (r: Recorder): boolean => new Set(r.results().map((x) => x.seq)).size >= n;

/** Seqs in order of first arrival, and how many arrived more than once. */
function firstArrivals(results: ResultPayload[]): { order: number[]; duplicates: number } {
  const seen = new Set<number>();
  const order: number[] = [];
  for (const r of results) {
    if (!seen.has(r.seq)) order.push(r.seq);
    seen.add(r.seq);
  }
  return { order, duplicates: results.length - order.length };
}

describe('mqtt: status and Last Will', () => {
  it('publishes online (retained) on connect and offline (retained) on a clean stop', async () => {
    const p = await proxy();
    const deviceId = newDeviceId();
    const watcher = await recorder(broker.url, [`edge/${deviceId}/status`]);
    const agent = await startAgent(p.url, { deviceId });
    await watcher.until((r) => r.on(agent.topic('status')).some((m) => m.text === 'online'), 'online');
    const metrics = await agent.ctx.metrics.getSingleMetricAsString('edge_agent_mqtt_connected');
    expect(metrics).toMatch(/edge_agent_mqtt_connected 1/);
    await agent.ext.stop();
    await watcher.until((r) => r.on(agent.topic('status')).at(-1)?.text === 'offline', 'offline');
    expect(agent.ctx.results).toBeNull();
    const late = await recorder(broker.url, [agent.topic('status')]);
    await late.until((r) => r.messages.length > 0, 'the retained status');
    expect(late.messages[0]).toMatchObject({ text: 'offline', retain: true });
    // A clean stop sends DISCONNECT: the broker logs a clean disconnect, not a lost socket.
    expect(broker.output()).toMatch(new RegExp(`Client edge-agent-${deviceId} disconnected\\.`));
  });

  it('the broker publishes the Last Will offline when the connection dies, and online returns on reconnect', async () => {
    const p = await proxy();
    const deviceId = newDeviceId();
    const watcher = await recorder(broker.url, [`edge/${deviceId}/status`]);
    const agent = await startAgent(p.url, { deviceId });
    await watcher.until((r) => r.on(agent.topic('status')).at(-1)?.text === 'online', 'online');
    p.block();
    p.cut();
    await watcher.until((r) => r.on(agent.topic('status')).at(-1)?.text === 'offline', 'the Last Will');
    const late = await recorder(broker.url, [agent.topic('status')]);
    await late.until((r) => r.messages.length > 0, 'the retained status');
    expect(late.messages[0]).toMatchObject({ text: 'offline', retain: true });
    const back = brokerState(agent.ctx, true);
    p.unblock();
    await back;
    await watcher.until((r) => r.on(agent.topic('status')).at(-1)?.text === 'online', 'online again');
  });
});

describe('mqtt: one client per device', () => {
  it('says so, naming the client id, when another client with the same id keeps taking the session over', async () => {
    const deviceId = newDeviceId();
    const clientId = `edge-agent-${deviceId}`;
    const agent = await startAgent(broker.url, { deviceId });
    await brokerState(agent.ctx, true);
    // A second device configured with the same id: pushed off by each reconnect of the agent, it reconnects too.
    const twin = await recorder(broker.url, [], { clientId, clean: false, reconnectPeriod: 100 });
    const warning = await agent.t.waitForLog(/same client id/, 15_000);
    expect(warning).toMatchObject({ level: 40, clientId });
    expect(warning.msg).toContain(`'${clientId}'`);
    expect(warning.msg).toMatch(/device\.id.*mqtt\.clientId/);
    // What the broker says happened.
    expect(broker.output()).toContain(`Client ${clientId} already connected, closing old connection.`);
    // Said once, not at every takeover, while the takeovers go on.
    const connects = twin.sessions.length;
    await vi.waitFor(() => expect(twin.sessions.length, 'five more takeovers').toBeGreaterThanOrEqual(connects + 5), { timeout: 15_000 });
    expect(agent.t.problems(/same client id/)).toHaveLength(1);
    expect(agent.t.problems(/lost the MQTT broker connection/).length).toBeLessThanOrEqual(3);
    expect(agent.ctx.degraded.get('mqtt')).toMatch(new RegExp(`another client uses the client id '${clientId}'`));
    // The twin goes away: once the agent's connection lasts, mqtt is healthy again.
    await twin.close();
    await agent.t.waitForLog(/the connection lasts again/, 30_000);
    expect(agent.ctx.degraded.has('mqtt')).toBe(false);
  }, 60_000);
});

describe('mqtt: results', () => {
  it('delivers results in seq order at QoS 1 and empties the outbox on PUBACK', async () => {
    const deviceId = newDeviceId();
    const sub = await recorder(broker.url, [`edge/${deviceId}/result`]);
    const agent = await startAgent(broker.url, { deviceId });
    const submitted = await Promise.all(Array.from({ length: 30 }, (_, i) => agent.ctx.results!.submit(sampleResult(i))));
    expect(submitted.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await sub.until(allSeqs(30), '30 results');
    expect(sub.results()).toEqual(submitted);
    expect(sub.on(agent.topic('result')).every((m) => m.qos === 1 && !m.retain)).toBe(true);
    await vi.waitFor(() => expect(agent.ctx.results!.depth()).toBe(0));
    // Never a log line per result above debug.
    expect(agent.t.logs.filter((r) => r.level >= 30 && /result/.test(r.msg))).toEqual([]);
  });

  it('keeps results while the broker is unreachable and delivers them in order when it is back', async () => {
    const p = await proxy();
    p.block();
    const deviceId = newDeviceId();
    const sub = await recorder(broker.url, [`edge/${deviceId}/result`]);
    const agent = await startAgent(p.url, { deviceId });
    for (let i = 0; i < 10; i++) await agent.ctx.results!.submit(sampleResult(i));
    expect(agent.ctx.results!.depth()).toBe(10);
    await agent.t.waitForLog(/cannot connect to the MQTT broker; retrying/);
    p.unblock();
    await sub.until(allSeqs(10), '10 results after the broker became reachable');
    expect(firstArrivals(sub.results()).order).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('broker killed (kill -9) and restarted mid-stream: a durable subscriber receives every seq, in order', async () => {
    const deviceId = newDeviceId();
    const sub = await recorder(broker.url, [`edge/${deviceId}/result`], { clientId: `durable-${deviceId}`, clean: false });
    // The subscriber's session must be in the persistence file before the broker dies.
    await broker.waitForSave();
    const agent = await startAgent(broker.url, { deviceId });
    const total = 60;
    let submitted = 0;
    const stream = (async () => {
      while (submitted < total) {
        await agent.ctx.results!.submit(sampleResult(submitted));
        submitted++;
        await new Promise((r) => setTimeout(r, 100)); // 10 results per second
      }
    })();
    await sub.until(allSeqs(15), 'the first 15 results');
    await broker.kill();
    const killedAt = submitted;
    await new Promise((r) => setTimeout(r, 1500)); // the broker stays down while results keep coming
    expect(agent.ctx.results!.depth()).toBeGreaterThan(5);
    await broker.restart();
    await stream;
    await sub.until(allSeqs(total), `all ${total} results`, 30_000);
    // The one reconnect, counted for Prometheus.
    expect(await agent.ctx.metrics.getSingleMetricAsString('edge_agent_mqtt_reconnects_total')).toMatch(/^edge_agent_mqtt_reconnects_total 1$/m);
    const { order, duplicates } = firstArrivals(sub.results());
    expect(order).toEqual(Array.from({ length: total }, (_, i) => i));
    // The subscriber's session (not a resubscription) carried it through the restart.
    expect(sub.sessions.slice(1)).toEqual(sub.sessions.slice(1).map(() => true));
    expect(sub.sessions.length).toBeGreaterThan(1);
    console.log(`broker kill -9 at seq ~${killedAt}: ${total} results delivered, ${duplicates} duplicates`);
  });

  it('an agent restarted on the data dir a kill -9 left (torn last record included) delivers every recorded result and continues seq', async () => {
    const p = await proxy();
    p.block();
    const deviceId = newDeviceId();
    const first = await startAgent(p.url, { deviceId });
    for (let i = 0; i < 10; i++) await first.ctx.results!.submit(sampleResult(i));
    // The files as a kill -9 right now leaves them, with the last record torn by the power cut.
    const crashed = mkdtempSync(join(tmpdir(), 'edge-agent-crashed-'));
    cleanups.push(() => rmSync(crashed, { recursive: true, force: true }));
    cpSync(first.ctx.dataDir, crashed, { recursive: true });
    const log = join(crashed, 'outbox', 'results.log');
    const lastRecord = parseLog(readFileSync(log)).records.filter((r) => r.type === RecordType.result).at(-1)!;
    truncateSync(log, lastRecord.offset + 25);
    await first.ext.stop();

    const sub = await recorder(broker.url, [`edge/${deviceId}/result`]);
    const second = await startAgent(broker.url, { deviceId, dataDir: crashed });
    await sub.until(allSeqs(9), 'the 9 fully recorded results');
    expect(second.t.problems(/damaged bytes/)).toHaveLength(1);
    const next = await second.ctx.results!.submit(sampleResult(99));
    expect(next.seq).toBe(9);
    await sub.until(allSeqs(10), 'the new result');
    expect(firstArrivals(sub.results()).order).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('a clean restart replays what was not acknowledged and continues seq', async () => {
    const p = await proxy();
    p.block();
    const deviceId = newDeviceId();
    const first = await startAgent(p.url, { deviceId, ext: { drainTimeoutMs: 200 } });
    for (let i = 0; i < 5; i++) await first.ctx.results!.submit(sampleResult(i));
    await first.ext.stop();
    expect(first.t.logs.some((r) => r.undelivered === 5)).toBe(true);
    const sub = await recorder(broker.url, [`edge/${deviceId}/result`]);
    const second = await startAgent(broker.url, { deviceId, dataDir: first.ctx.dataDir });
    expect((await second.ctx.results!.submit(sampleResult(5))).seq).toBe(5);
    await sub.until(allSeqs(6), 'six results');
    expect(firstArrivals(sub.results()).order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stop() delivers what is outstanding before it disconnects', async () => {
    const deviceId = newDeviceId();
    const sub = await recorder(broker.url, [`edge/${deviceId}/result`]);
    const agent = await startAgent(broker.url, { deviceId, config: { outbox: { flushMilliseconds: 300 } } });
    await brokerState(agent.ctx, true);
    const pending = Array.from({ length: 20 }, (_, i) => agent.ctx.results!.submit(sampleResult(i)));
    await Promise.all(pending);
    await agent.ext.stop();
    await sub.until(allSeqs(20), 'all 20 results');
    expect(agent.t.logs.some((r) => r.undelivered === 0)).toBe(true);
  });

  it('keeps publishing live while the outbox cannot be written (outbox folder is a file)', async () => {
    const deviceId = newDeviceId();
    const t = await createTestContext({ deviceId });
    cleanups.push(() => t.cleanup());
    writeFileSync(join(t.ctx.dataDir, 'outbox'), 'a file where the outbox folder should be');
    const sub = await recorder(broker.url, [`edge/${deviceId}/result`]);
    const health: unknown[] = [];
    t.ctx.events.on('health', (h) => health.push(h));
    const ext = new MqttExtension(t.ctx, { url: broker.url });
    cleanups.push(() => ext.stop());
    await ext.start();
    for (let i = 0; i < 10; i++) await t.ctx.results!.submit(sampleResult(i));
    await sub.until(allSeqs(10), 'ten live results');
    expect(health).toEqual([{ part: 'outbox', degraded: true, reason: expect.stringMatching(/outbox/) }]);
    expect(t.ctx.degraded.get('outbox')).toMatch(/cannot read the outbox/);
    expect(t.problems(/outbox/).filter((r) => r.level >= 50)).toHaveLength(1);
  });
});

describe('mqtt: telemetry', () => {
  it('publishes telemetry at QoS 0 with the outbox counters while connected, and drops it while offline', async () => {
    const p = await proxy();
    const deviceId = newDeviceId();
    const sub = await recorder(broker.url, [`edge/${deviceId}/telemetry`]);
    const agent = await startAgent(p.url, { deviceId });
    await brokerState(agent.ctx, true);
    agent.ctx.events.emit('telemetry', { snapshot: 1, fps: 2, outboxDepth: 0 });
    await sub.until((r) => r.messages.length === 1, 'a telemetry message');
    expect(JSON.parse(sub.messages[0].text)).toMatchObject({ snapshot: 1, fps: 2, outbox: { depth: 0, dropped: 0, writeErrors: 0, degraded: false } });
    expect(sub.messages[0].qos).toBe(0);
    const down = brokerState(agent.ctx, false);
    p.block();
    p.cut();
    await down;
    agent.ctx.events.emit('telemetry', { snapshot: 2 });
    const up = brokerState(agent.ctx, true);
    p.unblock();
    await up;
    agent.ctx.events.emit('telemetry', { snapshot: 3 });
    await sub.until((r) => r.messages.some((m) => JSON.parse(m.text).snapshot === 3), 'the third snapshot');
    expect(sub.messages.map((m) => JSON.parse(m.text).snapshot)).toEqual([1, 3]);
  });
});

describe('mqtt: Home Assistant discovery', () => {
  it('publishes retained discovery on connect, and again on the HA birth message and after a reconnect', async () => {
    const p = await proxy();
    const deviceId = newDeviceId();
    const filter = `homeassistant/sensor/${deviceId}/+/config`;
    const sub = await recorder(broker.url, [filter]);
    const agent = await startAgent(p.url, { deviceId });
    await sub.until((r) => r.messages.length >= 6, 'six sensor configs');
    const configs = Object.fromEntries(sub.messages.map((m) => [m.topic.split('/')[3], JSON.parse(m.text)]));
    expect(Object.keys(configs).sort()).toEqual(['cpu_temperature', 'fps', 'inference_ms', 'outbox_depth', 'top_label', 'top_score']);
    expect(configs.top_label).toMatchObject({
      state_topic: agent.topic('result'),
      availability_topic: agent.topic('status'),
      payload_available: 'online',
      payload_not_available: 'offline',
      unique_id: `edge-agent_${deviceId}_top_label`,
      device: { identifiers: [`edge-agent_${deviceId}`], name: `edge-agent ${deviceId}`, sw_version: expect.any(String) },
    });
    expect(configs.top_label.value_template).toContain('value_json.top[0].label');
    expect(configs.cpu_temperature).toMatchObject({ state_topic: agent.topic('telemetry'), device_class: 'temperature', unit_of_measurement: '°C' });
    expect(configs.outbox_depth.value_template).toContain('value_json.outboxDepth');

    const late = await recorder(broker.url, [filter]);
    await late.until((r) => r.messages.length >= 6, 'retained configs');
    expect(late.messages.every((m) => m.retain)).toBe(true);

    await sub.client.publishAsync('homeassistant/status', 'online');
    await sub.until((r) => r.messages.length >= 12, 'discovery after the HA birth message');

    p.cut();
    await sub.until((r) => r.messages.length >= 18, 'discovery after a reconnect');
  });
});

describe('mqtt: commands', () => {
  async function commandAgent(): Promise<{ agent: Agent; sub: Recorder; send(name: string, payload: string | Buffer): Promise<void>; runs: string[] }> {
    const deviceId = newDeviceId();
    const sub = await recorder(broker.url, [`edge/${deviceId}/cmd/+/response`]);
    const agent = await startAgent(broker.url, { deviceId });
    const runs: string[] = [];
    agent.ctx.commands.register('echo', {
      args: { properties: { text: { type: 'string', maxLength: 100 } }, required: ['text'] },
      run: async ({ text }) => {
        runs.push(text as string);
        return { text };
      },
    });
    agent.ctx.commands.register('slow', {
      args: { properties: {} },
      run: async () => {
        await new Promise((r) => setTimeout(r, 5));
        runs.push('slow');
        return {};
      },
    });
    await brokerState(agent.ctx, true);
    const send = async (name: string, payload: string | Buffer): Promise<void> => {
      await sub.client.publishAsync(agent.topic(`cmd/${name}`), payload, { qos: 1 });
    };
    // The SUBSCRIBE and a command sent on another connection race at the broker: retry until one gets through.
    let attempt = 0;
    await vi.waitFor(
      async () => {
        await send('echo', JSON.stringify({ id: `warm-up-${attempt++}`, text: 'warm-up' }));
        await sub.until((r) => r.messages.length > 0, 'a first response', 300);
      },
      { timeout: 10_000, interval: 0 },
    );
    return { agent, sub, send, runs };
  }

  const responses = (sub: Recorder, name: string): { id: string | null; ok: boolean; error?: string; [k: string]: unknown }[] =>
    sub.on(new RegExp(`/cmd/${name}/response$`)).map((m) => JSON.parse(m.text));

  it('answers good and bad payloads with one response each, and keeps running', async () => {
    const { agent, sub, send, runs } = await commandAgent();
    await send('echo', JSON.stringify({ id: 'a1', text: 'hello' }));
    // Our own response topics are not commands (and would loop if they were).
    await send('echo/response', JSON.stringify({ id: 'r0', text: 'a response, not a command' }));
    await send('echo', 'not json {');
    await send('echo', JSON.stringify({ id: 'a3', text: 42 }));
    await send('echo', JSON.stringify({ id: 'a4', text: 'x', extra: true }));
    await send('no-such-command', JSON.stringify({ id: 'a5' }));
    await send('echo', Buffer.alloc(1024 * 1024, 0x61));
    await send('echo', JSON.stringify([1, 2, 3]));
    await send('echo', JSON.stringify({ id: 'a8', text: 'still here' }));
    await sub.until((r) => responses(r, 'echo').some((x) => x.id === 'a8'), 'the last response');
    // (The recorder also hears the r0 message it sent to the response topic: it has no "ok".)
    // A refusal is answered at once, so it may overtake the command sent before it.
    const echo = responses(sub, 'echo').filter((r) => 'ok' in r && !r.id?.startsWith('warm-up'));
    expect(echo).toHaveLength(7);
    expect(echo).toEqual(expect.arrayContaining([
      { id: 'a1', ok: true, text: 'hello' },
      { id: null, ok: false, error: expect.stringMatching(/not JSON/) },
      { id: 'a3', ok: false, error: expect.stringMatching(/bad arguments.*text must be string/) },
      { id: 'a4', ok: false, error: expect.stringMatching(/unknown argument 'extra'/) },
      { id: null, ok: false, error: expect.stringMatching(/over the 16384-byte limit/) },
      { id: null, ok: false, error: expect.stringMatching(/JSON object/) },
      { id: 'a8', ok: true, text: 'still here' },
    ]));
    expect(responses(sub, 'no-such-command')).toEqual([{ id: 'a5', ok: false, error: expect.stringMatching(/unknown command 'no-such-command'; commands: echo, slow/) }]);
    expect(runs.filter((r) => r !== 'warm-up')).toEqual(['hello', 'still here']);
    expect(sub.messages.filter((m) => m.text.includes('"r0"')).map((m) => m.topic)).toEqual([agent.topic('cmd/echo/response')]);
    expect(agent.t.logs.filter((r) => r.level >= 50)).toEqual([]);
  });

  it('a flood of commands is answered in full, run one at a time, and refused beyond the queue', async () => {
    const { sub, send, runs } = await commandAgent();
    const count = 300;
    await Promise.all(Array.from({ length: count }, (_, i) => send('slow', JSON.stringify({ id: `f${i}` }))));
    await sub.until((r) => responses(r, 'slow').length >= count, `${count} responses`);
    const answers = responses(sub, 'slow');
    expect(answers).toHaveLength(count);
    expect(new Set(answers.map((a) => a.id)).size).toBe(count);
    const ok = answers.filter((a) => a.ok).length;
    const busy = answers.filter((a) => !a.ok && /busy/.test(a.error ?? '')).length;
    expect(ok + busy).toBe(count);
    expect(runs.filter((r) => r === 'slow')).toHaveLength(ok);
    console.log(`command flood: ${count} commands, ${ok} ran, ${busy} answered busy`);
  });
});
