import { Gauge, type Registry } from 'prom-client';
import { totalCounter } from '../telemetry/metrics-server.js';
import type { OutboxStats } from '../outbox/outbox.js';

/**
 * Prometheus metrics of the outbox and the broker connection, read at scrape time.
 * (The outbox depth is already edge_agent_outbox_depth, from the agent's metrics.)
 * Returns a function that removes them again.
 */
export function registerMqttMetrics(registry: Registry, read: { outbox(): OutboxStats; connected(): boolean; reconnects(): number }): () => void {
  const names: string[] = [];
  const counter = (name: string, help: string, value: (s: OutboxStats) => number): void => {
    names.push(name);
    totalCounter(registry, name, help, () => value(read.outbox()));
  };
  const gauge = (name: string, help: string, value: () => number): void => {
    names.push(name);
    new Gauge({ name, help, registers: [registry], collect() { this.set(value()); } });
  };
  counter('edge_agent_outbox_dropped_total', 'Results dropped by outbox.maxRecords or outbox.maxAgeHours', (s) => s.dropped);
  counter('edge_agent_outbox_writes_total', 'Batched writes (append + fsync) of the outbox log', (s) => s.writes);
  counter('edge_agent_outbox_write_errors_total', 'Failed writes of the outbox log', (s) => s.writeErrors);
  gauge('edge_agent_outbox_degraded', '1 while the outbox cannot be written and results are held in memory', () => (read.outbox().degraded ? 1 : 0));
  gauge('edge_agent_mqtt_connected', '1 while the broker connection is up', () => (read.connected() ? 1 : 0));
  names.push('edge_agent_mqtt_reconnects_total');
  totalCounter(registry, 'edge_agent_mqtt_reconnects_total', 'Connections to the broker after the first', read.reconnects);
  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}
