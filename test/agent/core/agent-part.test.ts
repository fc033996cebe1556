// Every part that listens to the agent's events leaves none of its listeners behind when it
// stops (AgentPart), whichever way it subscribed: a restarted part is never called twice.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../../agent/core/context.js';
import { AgentPart } from '../../../agent/core/extension.js';
import { GpioExtension } from '../../../agent/gpio/gpio-extension.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../agent/mqtt/embedded-broker.js';
import { MqttExtension } from '../../../agent/mqtt/mqtt-extension.js';
import { ConsoleResults } from '../../../agent/outbox/console-results.js';
import { Pipeline } from '../../../agent/pipeline/pipeline.js';
import { createTestContext, type TestContext } from '../../support/agent-context.js';
import { camera, cat, model } from '../pipeline-fakes.js';

const EVENTS = ['result', 'frame', 'telemetry', 'broker', 'health', 'trigger', 'fatal'] as const;
const listeners = (ctx: AgentContext): Record<string, number> => Object.fromEntries(EVENTS.map((e) => [e, ctx.events.listenerCount(e)]));

let test: TestContext | null = null;
let broker: EmbeddedBroker | null = null;
afterEach(async () => {
  await broker?.close();
  test?.cleanup();
  test = broker = null;
});

class Listening extends AgentPart {
  readonly name = 'listening';
  calls = 0;
  async start(): Promise<void> {
    this.listen('telemetry', () => this.calls++);
    this.listenOnce('broker', () => this.calls++);
  }
}

describe('AgentPart', () => {
  it('removes what listen() and listenOnce() added when it stops, and is not called after', async () => {
    test = await createTestContext();
    const { ctx } = test;
    const part = new Listening(ctx);
    await part.start();
    ctx.events.emit('telemetry', {});
    await part.stop();
    expect(listeners(ctx)).toEqual(Object.fromEntries(EVENTS.map((e) => [e, 0])));
    ctx.events.emit('telemetry', {});
    ctx.events.emit('broker', { connected: true });
    expect(part.calls).toBe(1);
  });

  it.each([
    ['gpio', (ctx: AgentContext) => new GpioExtension(ctx, { simulate: true })],
    ['pipeline', (ctx: AgentContext) => new Pipeline(ctx, camera([cat]), model())],
    ['console results', (ctx: AgentContext) => new ConsoleResults(ctx)],
    ['mqtt', (ctx: AgentContext) => new MqttExtension(ctx, { url: broker!.url })],
  ])('the %s part leaves no listener behind, over two starts and stops', async (_name, make) => {
    test = await createTestContext({ config: { trigger: { mode: 'gpio' }, gpio: { enabled: true, trigger: { pin: 17 } } } });
    broker = await startEmbeddedBroker({ log: pino({ level: 'silent' }) });
    const { ctx } = test;
    const before = listeners(ctx);
    for (let round = 0; round < 2; round++) {
      const part = make(ctx);
      await part.start();
      expect(Object.values(listeners(ctx)).reduce((a, b) => a + b, 0)).toBeGreaterThan(Object.values(before).reduce((a, b) => a + b, 0));
      await part.stop();
      expect(listeners(ctx)).toEqual(before);
    }
  });
});
