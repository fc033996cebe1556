// edge-agent detect as a user runs it (real child processes): JSON lines whose detections
// are TensorFlow Lite's, the COCO labels applied, a readable table, --draw, and the hints
// between detect and classify.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfliteWasmRunner } from '../../bench/peers/tflite-wasm.js';
import { imageToTensor } from '../../agent/pipeline/preprocess.js';
import { imagePath, modelPath } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const ssd = modelPath('ssd_mobilenet_v1_coco_quant.tflite');
const coco = modelPath('coco_labels.txt');
const v2 = modelPath('mobilenet_v2_1.0_224_quant.tflite');

const jsonLines = (stdout: string): Record<string, any>[] => stdout.trim().split('\n').map((l) => JSON.parse(l));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-agent-detect-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** TFLite's detections at or above minScore for an image resized with nearest-neighbour. */
async function tfliteDetections(image: string, minScore: number) {
  const runner = await TfliteWasmRunner.create(await readFile(ssd));
  try {
    runner.input().set(await imageToTensor(imagePath(image), { height: 300, width: 300, channels: 3, type: 'uint8' }, image, { fit: 'fill', kernel: 'nearest' }));
    runner.infer();
    const [boxes, classes, scores, count] = [0, 1, 2, 3].map((k) => runner.output(k));
    const found = [];
    for (let i = 0; i < count[0]; i++) {
      if (scores[i] >= minScore) found.push({ index: classes[i], score: scores[i], box: Array.from(boxes.subarray(4 * i, 4 * i + 4)) });
    }
    return found;
  } finally {
    runner.close();
  }
}

describe('edge-agent detect', () => {
  it('--json: one line per image, the detections TFLite makes, named by the COCO labels (line k+1 names class k)', async () => {
    const r = await runCli(['detect', '--model', ssd, '--labels', coco, '--json', '--engine', 'js', '--min-score', '0.3',
      '--resize-kernel', 'nearest', imagePath('grace_hopper.png'), imagePath('cat.png')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(2);
    for (const [line, image] of [[lines[0], 'grace_hopper.png'], [lines[1], 'cat.png']] as const) {
      expect(Object.keys(line)).toEqual(['image', 'engine', 'ms', 'detections']);
      expect(line.image).toBe(imagePath(image));
      expect(line.engine).toBe('js');
      expect(line.ms).toBeGreaterThan(0);
      const expected = await tfliteDetections(image, 0.3);
      expect(line.detections.map(({ index, score, box }: any) => ({ index, score, box }))).toEqual(expected);
      for (const d of line.detections) expect(Object.keys(d)).toEqual(['index', 'label', 'score', 'box']);
    }
    expect(lines[0].detections[0]).toMatchObject({ index: 0, label: 'person' });
    expect(lines[0].detections.find((d: any) => d.index === 31)).toMatchObject({ label: 'tie' });
    expect(lines[1].detections[0]).toMatchObject({ index: 16, label: 'cat' });
    // The box as the model gives it: the person's reaches past the image's edge.
    expect(Math.min(...lines[0].detections[0].box)).toBeLessThan(0);
  });

  it('--min-score leaves out what scores below it; without labels a detection is named by its number', async () => {
    const r = await runCli(['detect', '--model', ssd, '--json', '--min-score', '0.7', imagePath('grace_hopper.png')]);
    expect(r.code).toBe(0);
    const [line] = jsonLines(r.stdout);
    expect(line.detections.length).toBeGreaterThan(0);
    for (const d of line.detections) expect(d.score).toBeGreaterThanOrEqual(0.7);
    expect(line.detections[0]).toMatchObject({ index: 0, label: '#0' });
  });

  it('prints a readable table without --json', async () => {
    const r = await runCli(['detect', '--model', ssd, '--labels', coco, imagePath('cat.png')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/cat\.png {2}\((native:\S+|js), \d+\.\d+ ms, \d+ detections?\)$/);
    expect(lines[1]).toMatch(/index\s+label\s+score\s+box \(ymin, xmin, ymax, xmax\)/);
    expect(lines[2]).toMatch(/^\s+16\s+cat\s+0\.\d{4}\s+-?\d\.\d{3}, -?\d\.\d{3}, -?\d\.\d{3}, -?\d\.\d{3}$/);
  });

  it('--draw writes the image at its own resolution with the detections drawn on it', async () => {
    const out = join(dir, 'drawn.jpg');
    const r = await runCli(['detect', '--model', ssd, '--labels', coco, '--draw', out, imagePath('grace_hopper.png')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const original = await sharp(imagePath('grace_hopper.png')).metadata();
    const drawn = await sharp(out).metadata();
    expect(drawn.format).toBe('jpeg');
    expect([drawn.width, drawn.height]).toEqual([original.width, original.height]);
    // The tie's box (normalized [ymin, xmin, ymax, xmax]) has red edges where the photo has none.
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const [line] = jsonLines((await runCli(['detect', '--model', ssd, '--json', imagePath('grace_hopper.png')])).stdout);
    const tie = line.detections.find((d: any) => d.index === 31).box;
    const red = (x: number, y: number) => {
      const i = (Math.round(y) * info.width + Math.round(x)) * info.channels;
      return data[i] > 200 && data[i + 1] < 120 && data[i + 2] < 120;
    };
    const left = tie[1] * info.width;
    const rows = Array.from({ length: 20 }, (_, k) => tie[0] * info.height + (k + 5) * ((tie[2] - tie[0]) * info.height) / 30);
    expect(rows.filter((y) => red(left, y)).length).toBeGreaterThan(15);
  });

  it('--draw takes one image; --min-score must be a number from 0 to 1', async () => {
    const two = await runCli(['detect', '--model', ssd, '--draw', join(dir, 'x.jpg'), imagePath('cat.png'), imagePath('bird.png')]);
    expect(two.code).toBe(64);
    expect(two.stderr).toBe('edge-agent: --draw writes one image; 2 were given\n');
    const bad = await runCli(['detect', '--model', ssd, '--min-score', '2', imagePath('cat.png')]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("--min-score must be a number from 0 to 1, got '2'");
  });

  it('a labels file that does not fit the detector is refused; a missing image is named and the others still done', async () => {
    const short = join(dir, 'short.txt');
    await writeFile(short, ['person', 'bicycle', 'car'].join('\n'));
    const r = await runCli(['detect', '--model', ssd, '--labels', short, imagePath('cat.png')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`edge-agent: ${short}: 3 labels, but the model has 90 classes\n`);
    const missing = await runCli(['detect', '--model', ssd, '--json', join(dir, 'none.png'), imagePath('cat.png')]);
    expect(missing.code).toBe(66);
    const [gone, cat] = jsonLines(missing.stdout);
    expect(gone).toEqual({ image: join(dir, 'none.png'), error: 'no such file' });
    expect(cat.detections[0].index).toBe(16);
  });

  it('detect on a classifier and classify on a detector each name the command to use (exit 65)', async () => {
    const onClassifier = await runCli(['detect', '--model', v2, imagePath('cat.png')]);
    expect(onClassifier.code).toBe(65);
    expect(onClassifier.stderr).toBe(`edge-agent: ${v2} is not an object detector (it does not end in TFLite_Detection_PostProcess): use edge-agent classify\n`);
    const onDetector = await runCli(['classify', '--model', ssd, imagePath('cat.png')]);
    expect(onDetector.code).toBe(65);
    expect(onDetector.stderr).toBe(`edge-agent: ${ssd} is an object detector (it ends in TFLite_Detection_PostProcess): use edge-agent detect\n`);
  });

  it('inspect counts the postprocess and its anchors; bench runs the detector layer by layer', async () => {
    const inspect = await runCli(['inspect', '--model', ssd, '--json']);
    expect(inspect.code).toBe(0);
    const summary = JSON.parse(inspect.stdout);
    expect(summary.runnable).toBe(true);
    expect(summary.detection).toEqual([{
      index: 63, anchors: 1917, problem: null,
      options: expect.objectContaining({ numClasses: 90, maxDetections: 10, maxClassesPerDetection: 1, useRegularNms: false }),
    }]);
    const text = await runCli(['inspect', '--model', ssd]);
    expect(text.stdout).toMatch(/Detection postprocess \(operator 63\): 1917 anchors, 90 classes, up to 10 detections, fast NMS/);
    const bench = await runCli(['bench', '--model', ssd, '--runs', '2', '--json']);
    expect(bench.stderr).toBe('');
    expect(bench.code).toBe(0);
    const result = JSON.parse(bench.stdout);
    expect(result.layers.map((l: any) => l.op)).toEqual(expect.arrayContaining(['CONCATENATION', 'LOGISTIC', 'CUSTOM:TFLite_Detection_PostProcess']));
  });
});
