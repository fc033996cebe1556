// The fleet view's table, from the topics of the MQTT contract (README.md).
import { describe, expect, it } from 'vitest';
import { FleetState } from '../../agent/web/fleet/fleet-state.js';

const msg = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const at = new Date('2026-11-28T06:40:00.000Z');

const telemetry = {
  status: 'degraded', degraded: { camera: 'capture timed out after 10 s' }, cpuTempC: 61.2,
  throttled: { raw: '0x50005', flags: ['under-voltage now', 'throttled now'] }, fps: 1.9,
  latencyMs: { p50: 12.5, p95: 20 }, inferenceMs: { p50: 4.1, p95: 5 }, outboxDepth: 7,
  engine: 'native:neondot', model: 'mobilenet_v2_1.0_224_quant', modelSha256: '9f'.repeat(32), uptimeSeconds: 3725,
  build: { version: '0.1.0', commit: '3f2a9c1d0b7e6a5f4e3d2c1b0a9f8e7d6c5b4a39+dirty.0123456789ab', builtAt: '2026-11-28T06:00:00.000Z' },
};

describe('FleetState', () => {
  it('subscribes to status, telemetry and result of every device under its prefix', () => {
    expect(new FleetState('site/edge').filters).toEqual(['site/edge/+/status', 'site/edge/+/telemetry', 'site/edge/+/result']);
  });

  it('builds one row per device from its status, telemetry and last result', () => {
    const fleet = new FleetState('edge');
    fleet.apply('edge/pi-b/status', msg('online'), at);
    fleet.apply('edge/pi-a/status', msg('offline'), at);
    fleet.apply('edge/pi-b/telemetry', msg(telemetry), at);
    fleet.apply('edge/pi-b/result', msg({ seq: 41, ts: '2026-11-28T06:39:59.900Z', source: 'cam', top: [{ index: 286, label: 'Egyptian cat', score: 0.76 }] }), at);
    const row = fleet.apply('edge/pi-b/result', msg({ seq: 42, ts: '2026-11-28T06:40:00.000Z', source: 'cam', top: [] }), at);

    expect(fleet.rows().map((r) => [r.id, r.online])).toEqual([['pi-a', false], ['pi-b', true]]);
    expect(row).toEqual({
      id: 'pi-b', online: true, lastSeen: at.toISOString(),
      result: { seq: 42, ts: '2026-11-28T06:40:00.000Z', source: 'cam', label: null, score: null }, objects: null,
      fps: 1.9, latencyMs: 12.5, inferenceMs: 4.1, cpuTempC: 61.2, throttled: ['under-voltage now', 'throttled now'],
      outboxDepth: 7, health: 'degraded', degraded: { camera: 'capture timed out after 10 s' },
      engine: 'native:neondot', model: 'mobilenet_v2_1.0_224_quant', modelSha256: '9f'.repeat(32), version: '0.1.0 (3f2a9c1d0b7e+dirty)', uptimeSeconds: 3725, problem: null,
    });
  });

  it("counts a detector's objects in view per label from its last result", () => {
    const fleet = new FleetState('edge');
    const objects = [
      { id: 'a', label: 'person', index: 0, score: 0.8, box: [0, 0, 1, 1] },
      { id: 'b', label: 'car', index: 2, score: 0.7, box: [0, 0, 1, 1] },
      { id: 'c', label: 'person', index: 0, score: 0.9, box: [0, 0, 1, 1] },
    ];
    expect(fleet.apply('edge/cam-1/result', msg({ seq: 1, ts: at.toISOString(), source: 'cam', top: [], objects }), at)!.objects).toEqual({ person: 2, car: 1 });
    expect(fleet.apply('edge/cam-1/result', msg({ seq: 2, ts: at.toISOString(), source: 'cam', top: [], objects: [] }), at)!.objects).toEqual({});
    expect(fleet.apply('edge/cam-1/result', msg({ seq: 3, ts: at.toISOString(), source: 'cam', top: [] }), at)!.objects).toBeNull();
  });

  it('ignores topics that are not a device topic, and notes unreadable messages on the row', () => {
    const fleet = new FleetState('edge');
    expect(fleet.apply('edge/pi-a/cmd/status', msg('{}'))).toBeNull();
    expect(fleet.apply('edge/pi-a/cmd/status/response', msg('{}'))).toBeNull();
    expect(fleet.apply('other/pi-a/status', msg('online'))).toBeNull();
    expect(fleet.apply('edge//status', msg('online'))).toBeNull();
    expect(fleet.rows()).toEqual([]);

    fleet.apply('edge/pi-a/status', msg('online'), at);
    const bad = fleet.apply('edge/pi-a/telemetry', msg('{"fps": 2'), at)!;
    expect(bad.problem).toBe(`telemetry at ${at.toISOString()} is not a JSON object`);
    expect(bad.online).toBe(true);
    expect(fleet.apply('edge/pi-a/status', msg('rebooting'), at)!).toMatchObject({ online: null, problem: "status 'rebooting' is neither online nor offline" });
    // Telemetry with wrong types shows as unknown, not as garbage.
    expect(fleet.apply('edge/pi-a/telemetry', msg({ fps: 'fast', throttled: null, latencyMs: 3 }), at)!).toMatchObject({ fps: null, throttled: null, latencyMs: null });
  });

  it('forgets the devices not heard from since a time, and takes one back when it is heard again', () => {
    const fleet = new FleetState('edge');
    const minutesAgo = (n: number): Date => new Date(at.getTime() - n * 60_000);
    fleet.apply('edge/pi-old/status', msg('offline'), minutesAgo(90));
    fleet.apply('edge/pi-quiet/status', msg('online'), minutesAgo(90));
    fleet.apply('edge/pi-quiet/telemetry', msg(telemetry), minutesAgo(30));
    fleet.apply('edge/pi-new/status', msg('online'), at);
    expect(fleet.forget(minutesAgo(60))).toEqual(['pi-old']);
    expect(fleet.rows().map((r) => r.id)).toEqual(['pi-new', 'pi-quiet']);
    expect(fleet.forget(minutesAgo(60))).toEqual([]);
    expect(fleet.forget(minutesAgo(10))).toEqual(['pi-quiet']);
    // Heard again, it is a new row: nothing of what was forgotten comes back with it.
    fleet.apply('edge/pi-quiet/status', msg('online'), at);
    expect(fleet.rows().find((r) => r.id === 'pi-quiet')).toMatchObject({ online: true, fps: null, lastSeen: at.toISOString() });
  });
});
