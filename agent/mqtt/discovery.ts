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

/** Home Assistant MQTT discovery for the device's sensors: <prefix>/sensor/<id>/<object>/config. */
export function discoveryMessages(o: DiscoveryOptions): DiscoveryMessage[] {
  const device = {
    identifiers: [`edge-agent_${o.deviceId}`],
    name: `edge-agent ${o.deviceId}`,
    manufacturer: 'edge-agent',
    model: 'edge-agent vision sensor',
    sw_version: o.swVersion,
  };
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
