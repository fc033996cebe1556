// Reconnect backoff: doubling from mqtt.reconnectSeconds up to 60 s with ±20% jitter,
// as a unit and as the extension uses it (fake timers, a port nobody listens on).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from '../../../agent/mqtt/backoff.js';
import { MqttExtension } from '../../../agent/mqtt/mqtt-extension.js';
import { createTestContext } from '../../support/agent-context.js';
import { freePort } from '../../support/mosquitto.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Backoff', () => {
  it('doubles from the first delay up to the ceiling and starts over after reset', () => {
    const b = new Backoff(2000, 60_000, () => 0.5);
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    b.reset();
    expect(b.next()).toBe(2000);
  });

  it('spreads each delay by ±20% and never exceeds the ceiling', () => {
    expect(new Backoff(1000, 60_000, () => 0).next()).toBe(800);
    expect(new Backoff(1000, 60_000, () => 1).next()).toBe(1200);
    const high = new Backoff(1000, 60_000, () => 1);
    for (let i = 0; i < 6; i++) high.next();
    expect(high.next()).toBe(60_000);
  });
});

describe('the extension reconnects with backoff', () => {
  it('waits longer after each failed attempt, up to 60 s', async () => {
    const port = await freePort(); // nothing listens there: every attempt is refused at once
    const t = await createTestContext({ config: { mqtt: { reconnectSeconds: 1 } } });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ext = new MqttExtension(t.ctx, { url: `mqtt://127.0.0.1:${port}` });
    await ext.start();
    const delays: number[] = [];
    try {
      for (let attempt = 0; attempt < 9; attempt++) {
        // Each refused attempt logs the delay it schedules (a socket event, not a timer).
        await vi.waitFor(() => expect(t.logs.filter((r) => r.msg === 'reconnecting to the MQTT broker').length).toBeGreaterThan(attempt), {
          timeout: 5000,
          interval: 5,
        });
        const delay = t.logs.filter((r) => r.msg === 'reconnecting to the MQTT broker')[attempt].delayMs as number;
        delays.push(delay);
        vi.advanceTimersByTime(delay);
      }
    } finally {
      vi.useRealTimers();
      await ext.stop();
      t.cleanup();
    }
    const bases = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i] * 0.8);
      expect(d).toBeLessThanOrEqual(Math.min(60_000, bases[i] * 1.2));
    });
    expect(t.problems(/cannot connect/)).toHaveLength(1);
  });
});
