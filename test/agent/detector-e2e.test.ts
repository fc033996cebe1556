// `edge-agent run` with the shipped COCO SSD detector on a simulated camera, against a real
// mosquitto: each result carries the objects of its frame with the ids they keep while in view.
// What the frames hold is found by `edge-agent detect` on the same images (itself checked
// against TensorFlow Lite in test/agreement), not written down here.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectEventPayload, ResultPayload } from '../../agent/pipeline/result.js';
import { AgentProcess } from '../support/agent-process.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { imagePath, modelPath } from '../support/paths.js';
import { Recorder } from '../support/recorder.js';
import { runCli } from '../support/run-cli.js';

const work = mkdtempSync('/tmp/edge-agent-detector-');
const detector = modelPath('ssd_mobilenet_v1_coco_quant.tflite');
const labels = modelPath('coco_labels.txt');
// Sorted by name, the camera serves four frames of a cat, four of a person (with a tie, which
// objects.track does not follow), then four of a checkerboard with nothing on it.
const scenes = [
  { image: 'cat.png', frames: 4 },
  { image: 'grace_hopper.png', frames: 4 },
  { image: 'checker224X224.png', frames: 4 },
];
const frames = scenes.flatMap(({ image, frames: n }, s) => Array.from({ length: n }, (_, k) => ({ name: `${s}${k}-${image}`, image })));
const found = new Map<string, { label: string; score: number }[]>();
let broker: Mosquitto;

beforeAll(async () => {
  broker = await Mosquitto.start();
  for (const f of frames) symlinkSync(imagePath(f.image), `${work}/${f.name}`);
  const r = await runCli(['detect', '--model', detector, '--labels', labels, '--json', ...scenes.map((s) => imagePath(s.image))]);
  for (const line of r.stdout.trim().split('\n')) {
    const { image, detections } = JSON.parse(line) as { image: string; detections: { label: string; score: number }[] };
    found.set(image.split('/').pop()!, detections);
  }
});

afterAll(async () => {
  await broker?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('edge-agent run with a detector', () => {
  it('publishes the objects of each frame, each keeping its id while it stays in view', async () => {
    // The detector finds what the scenes need at the default objects.threshold (0.7).
    expect(found.get('cat.png')!.find((d) => d.label === 'cat')!.score).toBeGreaterThanOrEqual(0.7);
    expect(found.get('grace_hopper.png')!.find((d) => d.label === 'person')!.score).toBeGreaterThanOrEqual(0.7);
    expect(found.get('grace_hopper.png')!.some((d) => d.label === 'tie')).toBe(true);
    expect(found.get('checker224X224.png')).toEqual([]);

    // A zone over the lower half of the frame, where both the cat and the person stand.
    writeFileSync(`${work}/config.yaml`, 'objects:\n  confirmFrames: 2\n  zones:\n    floor: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]\n');
    const probe = await Recorder.connect(broker.url, [
      'edge/det-1/result', 'edge/det-1/events', 'edge/det-1/person', 'edge/det-1/cat', 'edge/det-1/dog', 'edge/det-1/floor/person',
      'homeassistant/+/det-1/+/config',
    ]);
    const pictures = await Recorder.connect(broker.url, []);
    const snapshots: Buffer[] = [];
    pictures.client.on('message', (_topic, payload) => snapshots.push(payload));
    await pictures.client.subscribeAsync('edge/det-1/person/snapshot', { qos: 1 });
    const agent = AgentProcess.start([
      '--simulate', '--images', work, '--mqtt-url', broker.url, '--device-id', 'det-1', '--data-dir', `${work}/data`,
      '--config', `${work}/config.yaml`, '--model', detector, '--labels', labels, '--fps', '4', '--max-frames', String(frames.length),
    ]);
    expect(await agent.exited, agent.stderr).toBe(0);
    await probe.until((p) => p.results().length === frames.length, 'every result');
    const results = probe.results() as ResultPayload[];
    // Objects still in view when the agent stops are ended before it says offline.
    await probe.until((p) => p.on('edge/det-1/events').filter((m) => JSON.parse(m.text).type === 'end').length === 2, 'both ends');
    const events = probe.on('edge/det-1/events').map((m) => ({ ...(JSON.parse(m.text) as ObjectEventPayload), retained: m.retain }));
    const counts = (topic: string): string[] => probe.on(`edge/det-1/${topic}`).map((m) => m.text);
    // The count of objects in view per label and per zone: none, one, and none again once it ended.
    expect(counts('cat')).toEqual(['0', '1', '0']);
    expect(counts('person')).toEqual(['0', '1', '0']);
    expect(counts('floor/person')).toEqual(['0', '1', '0']);
    expect(counts('dog')).toEqual(['0']);
    // Home Assistant discovery for the objects: occupancy and count on the retained counts,
    // a camera on the label's snapshot, all on the device's availability.
    const discovery = new Map(probe.on(/^homeassistant\//).map((m) => [m.topic, JSON.parse(m.text) as Record<string, unknown>]));
    const occupancy = discovery.get('homeassistant/binary_sensor/det-1/person_occupancy/config')!;
    expect(occupancy).toMatchObject({ state_topic: 'edge/det-1/person', device_class: 'occupancy', availability_topic: 'edge/det-1/status', unique_id: 'edge-agent_det-1_person_occupancy' });
    expect(occupancy.value_template).toContain("'ON'");
    expect((occupancy.device as { identifiers: string[] }).identifiers).toEqual(['edge-agent_det-1']);
    expect(discovery.get('homeassistant/sensor/det-1/person_count/config')).toMatchObject({ state_topic: 'edge/det-1/person', state_class: 'measurement' });
    expect(discovery.get('homeassistant/camera/det-1/person_snapshot/config')).toMatchObject({ topic: 'edge/det-1/person/snapshot', availability_topic: 'edge/det-1/status' });
    expect(discovery.get('homeassistant/binary_sensor/det-1/floor_person_occupancy/config')).toMatchObject({ state_topic: 'edge/det-1/floor/person', device_class: 'occupancy' });
    expect(discovery.has('homeassistant/camera/det-1/floor_person_snapshot/config')).toBe(false);
    await probe.close();
    // The person's picture: a JPEG at the frame's own resolution (the whole frame by default).
    expect(snapshots.length).toBeGreaterThanOrEqual(1);
    const frameSize = await sharp(imagePath('grace_hopper.png')).metadata();
    const picture = await sharp(snapshots.at(-1)!).metadata();
    expect([picture.format, picture.width, picture.height]).toEqual(['jpeg', frameSize.width, frameSize.height]);
    expect(events.find((e) => e.label === 'person' && e.type === 'new')!.snapshot).toBe(true);
    await pictures.close();
    // Retained: what a client that connects later sees.
    const later = await Recorder.connect(broker.url, ['edge/det-1/person', 'edge/det-1/floor/person']);
    await later.until((p) => p.messages.length === 2, 'the retained counts');
    expect(later.messages.map((m) => [m.text, m.retain])).toEqual([['0', true], ['0', true]]);
    await later.close();

    expect(results.map((r) => r.source)).toEqual(frames.map((f) => f.name));
    for (const r of results) {
      expect(r.model).toBe('ssd_mobilenet_v1_coco_quant');
      expect(Array.isArray(r.objects), r.source).toBe(true);
      // top names the objects' classes, best first, for the consumers that read only top.
      expect(r.top).toEqual(r.objects!.map(({ index, label, score }) => ({ index, label, score })).sort((a, b) => b.score - a.score));
      for (const o of r.objects!) expect(o.box).toHaveLength(4);
    }
    const labelsIn = (r: ResultPayload): string[] => r.objects!.map((o) => o.label);
    const scene = (s: number): ResultPayload[] => results.filter((r) => r.source.startsWith(String(s)));
    // An object counts from its confirmFrames-th frame on: not in the first frame of its scene.
    expect(labelsIn(scene(0)[0])).toEqual([]);
    expect(scene(0).slice(1).map(labelsIn)).toEqual([['cat'], ['cat'], ['cat']]);
    expect(new Set(scene(0).slice(1).map((r) => r.objects![0].id)).size).toBe(1);
    // The person replaces the cat; the tie is not followed.
    expect(scene(1).slice(1).map(labelsIn)).toEqual([['person'], ['person'], ['person']]);
    const person = scene(1)[1].objects![0].id;
    expect(scene(1).slice(1).map((r) => r.objects![0].id)).toEqual([person, person, person]);
    expect(person).not.toBe(scene(0)[1].objects![0].id);
    expect(scene(2).map(labelsIn)).toEqual([[], [], [], []]);

    // Events: a new and an end for each object, with the ids the results carry, numbered by
    // their own seq, never retained.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.every((e) => !e.retained)).toBe(true);
    const cat = scene(0)[1].objects![0].id;
    for (const [id, label] of [[cat, 'cat'], [person, 'person']]) {
      const own = events.filter((e) => e.id === id);
      expect(own.map((e) => e.type).filter((t) => t !== 'update'), label).toEqual(['new', 'end']);
      const [first, last] = [own[0], own.at(-1)!];
      expect(first).toMatchObject({ label, snapshot: true, zones: ['floor'] });
      expect(Date.parse(first.start)).toBeLessThanOrEqual(Date.parse(first.ts));
      expect(Date.parse(last.end!)).toBeGreaterThanOrEqual(Date.parse(first.start));
      expect(last.score).toBeGreaterThanOrEqual(0.7);
    }
    expect(events.findIndex((e) => e.id === cat)).toBeLessThan(events.findIndex((e) => e.id === person));
  });

  it('counts no object outside a zone, and yields nothing for a masked region', async () => {
    const dir = mkdtempSync('/tmp/edge-agent-detector-zones-');
    try {
      symlinkSync(imagePath('grace_hopper.png'), `${dir}/person.png`);
      const run = async (device: string, objects: string): Promise<Recorder> => {
        writeFileSync(`${dir}/${device}.yaml`, `objects:\n  confirmFrames: 2\n${objects}`);
        const probe = await Recorder.connect(broker.url, [`edge/${device}/#`]);
        const agent = AgentProcess.start([
          '--simulate', '--images', dir, '--mqtt-url', broker.url, '--device-id', device, '--data-dir', `${dir}/data-${device}`,
          '--config', `${dir}/${device}.yaml`, '--model', detector, '--labels', labels, '--fps', '4', '--max-frames', '4',
        ]);
        expect(await agent.exited, agent.stderr).toBe(0);
        await probe.until((p) => p.on(`edge/${device}/status`).some((m) => m.text === 'offline'), 'offline');
        return probe;
      };
      // The person stands on the bottom edge: a zone over the top half does not hold it.
      const zoned = await run('det-zone', '  zones:\n    sky: [[0, 0], [1, 0], [1, 0.5], [0, 0.5]]\n');
      expect(zoned.on('edge/det-zone/person').map((m) => m.text)).toEqual(['0', '1', '0']);
      expect(zoned.on('edge/det-zone/sky/person').map((m) => m.text)).toEqual(['0']);
      const zonedEvents = zoned.on('edge/det-zone/events').map((m) => JSON.parse(m.text) as ObjectEventPayload);
      expect(zonedEvents.map((e) => [e.type, e.zones])).toEqual([['new', []], ['end', []]]);
      await zoned.close();
      // A mask over the bottom strip, where the person's feet are: no object, no event.
      const masked = await run('det-mask', '  masks:\n    - [[0, 0.9], [1, 0.9], [1, 1], [0, 1]]\n');
      expect(masked.on('edge/det-mask/events')).toEqual([]);
      expect(masked.on('edge/det-mask/person').map((m) => m.text)).toEqual(['0']);
      expect(masked.results('edge/det-mask/result').map((r) => r.objects)).toEqual([[], [], [], []]);
      await masked.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers new and end in order when the broker is killed between them', async () => {
    const dir = mkdtempSync('/tmp/edge-agent-detector-broker-');
    const own = await Mosquitto.start();
    try {
      // Two seconds of a person, then an empty scene: the person ends two seconds after it leaves.
      for (let k = 0; k < 8; k++) symlinkSync(imagePath('grace_hopper.png'), `${dir}/a${k}.png`);
      for (let k = 0; k < 16; k++) symlinkSync(imagePath('checker224X224.png'), `${dir}/b${String(k).padStart(2, '0')}.png`);
      const probe = await Recorder.connect(own.url, ['edge/det-3/events'], { clientId: 'det-3-events', clean: false });
      await own.waitForSave();
      const parsed = (): ObjectEventPayload[] => probe.on('edge/det-3/events').map((m) => JSON.parse(m.text) as ObjectEventPayload);
      // The device page too, for the recent events it serves.
      const port = await freePort();
      writeFileSync(`${dir}/config.yaml`, `web:\n  enabled: true\n  port: ${port}\n`);
      const agent = AgentProcess.start([
        '--simulate', '--images', dir, '--mqtt-url', own.url, '--device-id', 'det-3', '--data-dir', `${dir}/data`,
        '--model', detector, '--labels', labels, '--fps', '4', '--config', `${dir}/config.yaml`,
      ]);
      await probe.until(() => parsed().some((e) => e.type === 'new'), 'the person confirmed');
      await own.waitForSave();
      await own.kill();
      // Down while the person leaves and ends (about 3.75 s after the start).
      await new Promise((r) => setTimeout(r, 4000));
      await own.restart();
      await probe.until(() => parsed().some((e) => e.type === 'end'), 'the end after the broker came back', 30_000);
      // GET /api/events: the recent events in their latest state, newest first, and their pictures.
      const { id } = parsed().find((e) => e.type === 'end')!;
      const listed = (await (await fetch(`http://127.0.0.1:${port}/api/events`)).json()) as { events: { event: ObjectEventPayload; snapshot: boolean }[] };
      const entry = listed.events.find((e) => e.event.id === id)!;
      expect(entry.event).toMatchObject({ type: 'end', label: 'person', snapshot: true });
      expect(entry.snapshot).toBe(true);
      const picture = await fetch(`http://127.0.0.1:${port}/api/events/${id}/snapshot`);
      expect([picture.status, picture.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      expect((await sharp(Buffer.from(await picture.arrayBuffer())).metadata()).format).toBe('jpeg');
      expect((await fetch(`http://127.0.0.1:${port}/api/events/0-nothing/snapshot`)).status).toBe(404);
      expect(await agent.stop(), agent.stderr).toBe(0);
      // The camera loops, so the person may come back as a new object: the first one is judged.
      const firsts = [...new Map(parsed().map((e) => [e.seq, e])).values()];
      const first = firsts[0].id;
      expect(firsts.filter((e) => e.id === first && e.type !== 'update').map((e) => [e.seq, e.type])).toEqual([[0, 'new'], [firsts.findIndex((e) => e.type === 'end'), 'end']]);
      expect(firsts.map((e) => e.seq)).toEqual(firsts.map((_, i) => i));
      await probe.close();
    } finally {
      await own.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends an object that was in view when the agent was killed, at the next start', async () => {
    const dir = mkdtempSync('/tmp/edge-agent-detector-kill-');
    try {
      symlinkSync(imagePath('grace_hopper.png'), `${dir}/person.png`);
      mkdirSync(`${dir}/empty`);
      symlinkSync(imagePath('checker224X224.png'), `${dir}/empty/checker.png`);
      const args = (images: string, extra: string[]): string[] => [
        '--simulate', '--images', images, '--mqtt-url', broker.url, '--device-id', 'det-2', '--data-dir', `${dir}/data`,
        '--model', detector, '--labels', labels, '--fps', '4', ...extra,
      ];
      const probe = await Recorder.connect(broker.url, ['edge/det-2/events']);
      const parsed = (): ObjectEventPayload[] => probe.on('edge/det-2/events').map((m) => JSON.parse(m.text) as ObjectEventPayload);
      const first = AgentProcess.start(args(dir, []));
      await probe.until(() => parsed().some((e) => e.type === 'new'), 'the person confirmed');
      first.child.kill('SIGKILL');
      await first.exited;
      const { id } = parsed().find((e) => e.type === 'new')!;
      expect(parsed().some((e) => e.type === 'end')).toBe(false);

      const second = AgentProcess.start(args(`${dir}/empty`, ['--max-frames', '2']));
      expect(await second.exited, second.stderr).toBe(0);
      await probe.until(() => parsed().some((e) => e.type === 'end'), 'the end after the restart');
      const ends = parsed().filter((e) => e.type === 'end');
      expect(ends.map((e) => e.id)).toEqual([id]);
      expect(ends[0]).toMatchObject({ label: 'person', start: parsed()[0].start });
      // Its seq goes on after the new's: the event outbox kept its count across the kill.
      expect(ends[0].seq).toBeGreaterThan(parsed().find((e) => e.type === 'new')!.seq);
      await probe.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
