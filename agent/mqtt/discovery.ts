import type { DeviceTopics } from './topics.js';

export interface DiscoveryOptions {
  /** Home Assistant's discovery prefix (mqtt.discovery.prefix), usually homeassistant. */
  prefix: string;
  deviceId: string;
  topics: DeviceTopics;
  swVersion: string;
  /** Telemetry interval: telemetry sensors expire after three missed snapshots. */
  telemetrySeconds: number;
}

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

interface Sensor {
  object: string;
  name: string;
  source: 'result' | 'telemetry';
  template: string;
  unit?: string;
  deviceClass?: string;
  numeric: boolean;
  icon?: string;
  diagnostic?: boolean;
}

// Results may carry no prediction at all (every score under the threshold).
const sensors: Sensor[] = [
  { object: 'top_label', name: 'Top label', source: 'result', template: "{{ value_json.top[0].label if value_json.top else 'none' }}", numeric: false, icon: 'mdi:eye' },
  { object: 'top_score', name: 'Top score', source: 'result', template: '{{ value_json.top[0].score if value_json.top else 0 }}', numeric: true, icon: 'mdi:percent' },
  { object: 'inference_ms', name: 'Inference latency', source: 'result', template: '{{ value_json.latencyMs.inference }}', unit: 'ms', deviceClass: 'duration', numeric: true },
  { object: 'fps', name: 'Frame rate', source: 'telemetry', template: '{{ value_json.fps }}', unit: 'fps', numeric: true, icon: 'mdi:speedometer' },
  { object: 'cpu_temperature', name: 'CPU temperature', source: 'telemetry', template: '{{ value_json.cpuTempC }}', unit: '°C', deviceClass: 'temperature', numeric: true, diagnostic: true },
  { object: 'outbox_depth', name: 'Outbox depth', source: 'telemetry', template: '{{ value_json.outboxDepth }}', numeric: true, icon: 'mdi:tray-full', diagnostic: true },
];

function deviceOf(o: DiscoveryOptions): Record<string, unknown> {
  return {
    identifiers: [`edge-agent_${o.deviceId}`],
    name: `edge-agent ${o.deviceId}`,
    manufacturer: 'edge-agent',
    model: 'edge-agent vision sensor',
    sw_version: o.swVersion,
  };
}

/** Home Assistant MQTT discovery for the device's sensors: <prefix>/sensor/<id>/<object>/config. */
export function discoveryMessages(o: DiscoveryOptions): DiscoveryMessage[] {
  const device = deviceOf(o);
  return sensors.map((s) => ({
    topic: `${o.prefix}/sensor/${o.deviceId}/${s.object}/config`,
    payload: JSON.stringify({
      name: s.name,
      unique_id: `edge-agent_${o.deviceId}_${s.object}`,
      state_topic: s.source === 'result' ? o.topics.result : o.topics.telemetry,
      value_template: s.template,
      availability_topic: o.topics.status,
      payload_available: 'online',
      payload_not_available: 'offline',
      ...(s.unit ? { unit_of_measurement: s.unit } : {}),
      ...(s.deviceClass ? { device_class: s.deviceClass } : {}),
      ...(s.numeric ? { state_class: 'measurement' } : {}),
      ...(s.icon ? { icon: s.icon } : {}),
      ...(s.diagnostic ? { entity_category: 'diagnostic' } : {}),
      ...(s.source === 'telemetry' ? { expire_after: Math.ceil(o.telemetrySeconds * 3) } : {}),
      device,
    }),
  }));
}

/**
 * Home Assistant discovery for a detector's objects, one set per count it publishes ('person',
 * 'driveway/person'): an occupancy binary_sensor and a count sensor on the retained count, and
 * for each label a camera entity showing its latest snapshot. Home Assistant's object ids
 * allow letters, digits, _ and - only, so other characters of a label ("traffic light") become _.
 */
export function objectDiscoveryMessages(o: DiscoveryOptions, countKeys: readonly string[]): DiscoveryMessage[] {
  const device = deviceOf(o);
  const available = { availability_topic: o.topics.status, payload_available: 'online', payload_not_available: 'offline' };
  const messages: DiscoveryMessage[] = [];
  const entity = (component: string, object: string, config: Record<string, unknown>): void => {
    messages.push({
      topic: `${o.prefix}/${component}/${o.deviceId}/${object}/config`,
      payload: JSON.stringify({ ...config, unique_id: `edge-agent_${o.deviceId}_${object}`, ...available, device }),
    });
  };
  for (const key of countKeys) {
    const slash = key.indexOf('/');
    const [zone, label] = slash < 0 ? [null, key] : [key.slice(0, slash), key.slice(slash + 1)];
    const object = key.replace(/[^A-Za-z0-9_-]/g, '_');
    const named = zone === null ? label : `${label} in ${zone}`;
    const stateTopic = `${o.topics.base}/${key}`;
    entity('binary_sensor', `${object}_occupancy`, {
      name: `${named} occupancy`,
      state_topic: stateTopic,
      value_template: "{{ 'ON' if value | int(0) > 0 else 'OFF' }}",
      device_class: 'occupancy',
    });
    entity('sensor', `${object}_count`, { name: `${named} count`, state_topic: stateTopic, state_class: 'measurement', icon: 'mdi:counter' });
    if (zone === null) entity('camera', `${object}_snapshot`, { name: `${label} snapshot`, topic: `${stateTopic}/snapshot` });
  }
  return messages;
}
