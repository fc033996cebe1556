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

/** The nominal delay of each attempt for a first delay of 1 s. */
const nominal = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000];

function expectWithinJitter(delays: number[]): void {
  delays.forEach((d, i) => {
    expect(d, `attempt ${i + 1}`).toBeGreaterThanOrEqual(nominal[i] * 0.8);
    expect(d, `attempt ${i + 1}`).toBeLessThanOrEqual(Math.min(60_000, nominal[i] * 1.2));
  });
}

describe('Backoff', () => {
  it('doubles from the first delay up to 60 s, spread by at most ±20%, and starts over after reset', () => {
    const spread: number[][] = nominal.map(() => []);
    for (let run = 0; run < 500; run++) {
      const b = new Backoff(1000);
      const delays = nominal.map(() => b.next());
      expectWithinJitter(delays);
      delays.forEach((d, i) => spread[i].push(d));
      b.reset();
      expect(b.next()).toBeLessThanOrEqual(1200);
    }
    // The spread is real: fleets do not retry in lockstep.
    expect(Math.max(...spread[2]) - Math.min(...spread[2])).toBeGreaterThan(1000);
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
    expectWithinJitter(delays);
    expect(t.problems(/cannot connect/)).toHaveLength(1);
  });
});
