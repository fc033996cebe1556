import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import type { AgentConfig } from '../../config/types.js';
import { brokerCredentials } from '../../mqtt/connection-options.js';
import type { DeviceRow, FleetState } from './fleet-state.js';

export interface BrokerState {
  url: string;
  connected: boolean;
  /** Why the last attempt failed, while not connected. */
  error: string | null;
}

export interface FleetWatchOptions {
  url: string;
  /** The mqtt section of a configuration: prefix, user name, password, TLS files. */
  mqtt: AgentConfig['mqtt'];
  onDevice(row: DeviceRow): void;
  onBroker(state: BrokerState): void;
}

/**
 * A read-only subscriber to the fleet's topics, feeding a FleetState. It has no Last Will
 * and a clean session of its own (a random client id), so it never stands in for a
 * device; mqtt.js reconnects it, and the broker re-sends the retained statuses each time.
 */
export class FleetWatch {
  readonly broker: BrokerState;
  private constructor(private readonly client: MqttClient, url: string) {
    this.broker = { url, connected: false, error: null };
  }

  static async open(state: FleetState, options: FleetWatchOptions): Promise<FleetWatch> {
    const client = connect(options.url, {
      ...(await brokerCredentials(options.mqtt, options.url)),
      clientId: `edge-agent-fleet-${randomBytes(4).toString('hex')}`,
      clean: true,
      keepalive: options.mqtt.keepaliveSeconds,
      reconnectPeriod: options.mqtt.reconnectSeconds * 1000,
      connectTimeout: 10_000,
    });
    const watch = new FleetWatch(client, options.url);
    const report = (connected: boolean, error: string | null): void => {
      Object.assign(watch.broker, { connected, error });
      options.onBroker({ ...watch.broker });
    };
    client.on('connect', () => {
      client.subscribe(state.filters, { qos: 1 }, (err) => report(!err, err ? `subscribing to ${state.filters.join(', ')}: ${err.message}` : null));
    });
    client.on('error', (err) => report(false, err.message));
    client.on('close', () => {
      if (watch.broker.connected) report(false, 'connection closed');
    });
    client.on('message', (topic, payload) => {
      const row = state.apply(topic, payload);
      if (row) options.onDevice(row);
    });
    return watch;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}
