// The embedded aedes broker that `run --simulate` starts when no broker is configured.
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../../agent/mqtt/embedded-broker.js';
import { MqttExtension } from '../../../agent/mqtt/mqtt-extension.js';
import { createTestContext } from '../../support/agent-context.js';
import { Recorder, sampleResult } from '../../support/recorder.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Open sockets, servers and timers, by kind. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('embedded broker (aedes)', () => {
  it('serves the agent on loopback, says so, and leaves no handle behind', async () => {
    const before = handles();
    const t = await createTestContext({ config: { outbox: { flushMilliseconds: 10 } } });
    cleanups.push(() => t.cleanup());
    const broker = await startEmbeddedBroker({ log: t.ctx.log });
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(t.logs.find((r) => /embedded broker \(aedes\)/.test(r.msg))).toMatchObject({ url: broker.url });

    const sub = await Recorder.connect(broker.url, ['edge/test-device/#'], { clean: true });
    const ext = new MqttExtension(t.ctx, { url: broker.url });
    await ext.start();
    for (let i = 0; i < 5; i++) await t.ctx.results!.submit(sampleResult(i));
    await sub.until((r) => r.results().length >= 5, 'five results');
    expect(sub.results().map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(sub.on('edge/test-device/status')[0].text).toBe('online');
    await ext.stop();
    await sub.until((r) => r.on('edge/test-device/status').at(-1)?.text === 'offline', 'offline');
    await sub.close();
    await broker.close();

    // libuv releases closed handles a loop turn or two after their close callbacks; wait with
    // setImmediate, which (unlike a timer of vi.waitFor's) is not itself counted.
    const leaked = (): string[] => {
      const after = handles();
      return ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].filter((kind) => (after[kind] ?? 0) > (before[kind] ?? 0));
    };
    for (let turn = 0; turn < 1000 && leaked().length > 0; turn++) await new Promise((r) => setImmediate(r));
    expect(leaked()).toEqual([]);
  });

  it('listens on a configured port and reports a port in use clearly', async () => {
    const t = await createTestContext();
    cleanups.push(() => t.cleanup());
    const first = await startEmbeddedBroker({ log: t.ctx.log });
    cleanups.push(() => first.close());
    const port = Number(new URL(first.url).port);
    await expect(startEmbeddedBroker({ log: t.ctx.log, port })).rejects.toThrow(new RegExp(`embedded MQTT broker: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });
});
