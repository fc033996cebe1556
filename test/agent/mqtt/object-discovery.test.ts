// Home Assistant discovery for a detector's objects, as Home Assistant's MQTT integration reads
// it: each entity needs its platform's state or image topic, a unique_id and the device.
import { describe, expect, it } from 'vitest';
import { objectDiscoveryMessages } from '../../../agent/mqtt/discovery.js';
import { deviceTopics } from '../../../agent/mqtt/topics.js';

const options = { prefix: 'homeassistant', deviceId: 'cam-1', topics: deviceTopics('edge', 'cam-1'), swVersion: '0.1.0', telemetrySeconds: 10 };

describe('objectDiscoveryMessages', () => {
  const messages = objectDiscoveryMessages(options, ['person', 'traffic light', 'driveway/person']);
  const byTopic = new Map(messages.map((m) => [m.topic, JSON.parse(m.payload) as Record<string, unknown>]));

  it('makes an occupancy sensor and a count per count topic, and a camera per label only', () => {
    expect([...byTopic.keys()].sort()).toEqual([
      'homeassistant/binary_sensor/cam-1/driveway_person_occupancy/config',
      'homeassistant/binary_sensor/cam-1/person_occupancy/config',
      'homeassistant/binary_sensor/cam-1/traffic_light_occupancy/config',
      'homeassistant/camera/cam-1/person_snapshot/config',
      'homeassistant/camera/cam-1/traffic_light_snapshot/config',
      'homeassistant/sensor/cam-1/driveway_person_count/config',
      'homeassistant/sensor/cam-1/person_count/config',
      'homeassistant/sensor/cam-1/traffic_light_count/config',
    ]);
  });

  it('reads the count topics as published (a space stays in the topic), with the fields Home Assistant requires', () => {
    expect(byTopic.get('homeassistant/binary_sensor/cam-1/traffic_light_occupancy/config')).toMatchObject({
      state_topic: 'edge/cam-1/traffic light',
      device_class: 'occupancy',
      unique_id: 'edge-agent_cam-1_traffic_light_occupancy',
      availability_topic: 'edge/cam-1/status',
      name: 'traffic light occupancy',
    });
    expect(byTopic.get('homeassistant/binary_sensor/cam-1/driveway_person_occupancy/config')).toMatchObject({ state_topic: 'edge/cam-1/driveway/person', name: 'person in driveway occupancy' });
    expect(byTopic.get('homeassistant/camera/cam-1/person_snapshot/config')).toMatchObject({ topic: 'edge/cam-1/person/snapshot' });
    for (const config of byTopic.values()) {
      expect((config.device as { identifiers: string[] }).identifiers).toEqual(['edge-agent_cam-1']);
      expect(config.unique_id).toMatch(/^edge-agent_cam-1_[A-Za-z0-9_-]+$/);
    }
  });
});
