// `edge-agent run` with the shipped COCO SSD detector on a simulated camera, against a real
// mosquitto: each result carries the objects of its frame with the ids they keep while in view.
// What the frames hold is found by `edge-agent detect` on the same images (itself checked
// against TensorFlow Lite in test/agreement), not written down here.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPayload } from '../../agent/pipeline/result.js';
import { AgentProcess } from '../support/agent-process.js';
import { Mosquitto } from '../support/mosquitto.js';
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

    writeFileSync(`${work}/config.yaml`, 'objects:\n  confirmFrames: 2\n');
    const probe = await Recorder.connect(broker.url, ['edge/det-1/result']);
    const agent = AgentProcess.start([
      '--simulate', '--images', work, '--mqtt-url', broker.url, '--device-id', 'det-1', '--data-dir', `${work}/data`,
      '--config', `${work}/config.yaml`, '--model', detector, '--labels', labels, '--fps', '4', '--max-frames', String(frames.length),
    ]);
    expect(await agent.exited, agent.stderr).toBe(0);
    await probe.until((p) => p.results().length === frames.length, 'every result');
    const results = probe.results() as ResultPayload[];
    await probe.close();

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
  });
});
