// An MQTT client that records what arrives, for assertions, and lets a test await a
// condition on the messages (checked on each arrival, no polling).
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { ResultPayload } from '../../agent/pipeline/result.js';

export interface Received {
  topic: string;
  text: string;
  retain: boolean;
  qos: number;
}

export class Recorder {
  readonly messages: Received[] = [];
  /** sessionPresent of each CONNACK: true when the broker resumed a durable session. */
  readonly sessions: boolean[] = [];
  private waiters: { check(): boolean }[] = [];

  private constructor(readonly client: MqttClient) {
    // Refused reconnects while a test has the broker down are expected.
    client.on('error', () => {});
    client.on('connect', (connack) => this.sessions.push(connack.sessionPresent));
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, text: payload.toString('utf8'), retain: packet.retain, qos: packet.qos });
      this.waiters = this.waiters.filter((w) => !w.check());
    });
  }

  /** Connects and subscribes to `filters` at QoS 1. */
  static async connect(url: string, filters: string[], options: IClientOptions = {}): Promise<Recorder> {
    // Listening before the CONNACK: a durable session's queued messages follow it at once.
    const client = connect(url, { reconnectPeriod: 100, ...options });
    const recorder = new Recorder(client);
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => {
        client.end(true);
        reject(err);
      };
      client.once('error', failed);
      client.once('connect', () => {
        client.off('error', failed);
        resolve();
      });
    });
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return recorder;
  }

  on(topic: string | RegExp): Received[] {
    return this.messages.filter((m) => (typeof topic === 'string' ? m.topic === topic : topic.test(m.topic)));
  }

  /** Results received on a result topic, parsed, in arrival order (duplicates included). */
  results(topic: string | RegExp = /\/result$/): ResultPayload[] {
    return this.on(topic).map((m) => JSON.parse(m.text) as ResultPayload);
  }

  /** Resolves once `condition` holds for the messages received so far. */
  until(condition: (r: Recorder) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.messages.length} messages, last: ${JSON.stringify(this.messages.slice(-3))}`));
      }, timeoutMs);
      const waiter = {
        check: (): boolean => {
          if (!condition(this)) return false;
          clearTimeout(timer);
          resolve();
          return true;
        },
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** A result as the pipeline submits it (without seq). */
export function sampleResult(i: number, ts = new Date()): Omit<ResultPayload, 'seq'> {
  return {
    ts: ts.toISOString(),
    device: 'test-device',
    model: 'mobilenet_v2_1.0_224_quant',
    modelSha256: 'a'.repeat(64),
    source: `frame-${String(i).padStart(5, '0')}.png`,
    top: [{ index: 286, label: 'Egyptian cat', score: 0.76 }],
    latencyMs: { capture: 3.1, preprocess: 2, inference: 4.2, total: 9.9 },
    engine: 'js',
  };
}
