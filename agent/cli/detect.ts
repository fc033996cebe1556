import { Command, InvalidArgumentError, Option } from 'commander';
import sharp from 'sharp';
import type { EngineChoice } from '../../kernels/engine.js';
import type { DetectionInfo } from '../../kernels/model-info.js';
import type { InferenceSession } from '../../kernels/session.js';
import { fitLabels, readLabelFile } from '../pipeline/classification.js';
import { detections, type Detection } from '../pipeline/detections.js';
import { ImageError, imageInputSpec, imageToTensor, type InputSpec, type ResizeFit, type ResizeKernel } from '../pipeline/preprocess.js';
import { notReadable } from './classify.js';
import { CliError, ExitCode } from './cli-error.js';
import { loadFailure, openSessionForCli } from './open-session.js';
import { engineOption, threadsOption } from './options.js';

interface DetectOptions {
  model: string;
  labels?: string;
  minScore: number;
  engine: EngineChoice;
  threads: number;
  json?: boolean;
  draw?: string;
  resizeFit: ResizeFit;
  resizeKernel: ResizeKernel;
}

function score(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`--min-score must be a number from 0 to 1, got '${value}'`);
  return n;
}

function printTable(image: string, engine: string, ms: number, found: Detection[]): void {
  const width = Math.max(5, ...found.map((p) => p.label.length));
  const lines = [`${image}  (${engine}, ${ms.toFixed(2)} ms, ${found.length} detection${found.length === 1 ? '' : 's'})`];
  if (found.length > 0) lines.push(`  ${'index'.padStart(5)}  ${'label'.padEnd(width)}  score   box (ymin, xmin, ymax, xmax)`);
  for (const p of found) {
    lines.push(`  ${String(p.index).padStart(5)}  ${p.label.padEnd(width)}  ${p.score.toFixed(4)}  ${p.box.map((v) => v.toFixed(3)).join(', ')}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The image at its own resolution with each detection's box and label drawn on it. */
async function drawDetections(image: string, found: Detection[], out: string): Promise<void> {
  // Upright as the model saw it (EXIF orientation applied), at the image's own size.
  const base = await sharp(image).rotate().toBuffer({ resolveWithObject: true });
  const { width, height } = base.info;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(Math.min(width, height) / 30));
  const shapes = found.map((d) => {
    const [y0, x0, y1, x1] = d.box;
    const x = x0 * width;
    const y = y0 * height;
    const text = escapeXml(`${d.label} ${d.score.toFixed(2)}`);
    return `<rect x="${x}" y="${y}" width="${(x1 - x0) * width}" height="${(y1 - y0) * height}" fill="none" stroke="#ff3b30" stroke-width="${stroke}"/>` +
      `<text x="${x + stroke}" y="${Math.max(font, y - stroke)}" font-family="sans-serif" font-size="${font}" fill="#ff3b30" stroke="#000" stroke-width="${font / 12}" paint-order="stroke">${text}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  try {
    await sharp(base.data).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).jpeg().toFile(out);
  } catch (err) {
    throw new CliError(`--draw ${out}: cannot write the image (${(err as Error).message.split('\n')[0]})`, ExitCode.cantCreate);
  }
}

export const detectCommand = new Command('detect')
  .description('find objects in images with a quantized TFLite detector (SSD ending in TFLite_Detection_PostProcess)')
  .requiredOption('--model <file>', 'the .tflite detector')
  .option('--labels <file>', 'labels file: line k names class k, or, when its first line is "???" (COCO), line k+1 does; must fit the model')
  .option('--min-score <s>', 'leave out detections scoring below this (0 to 1)', score, 0.5)
  .addOption(engineOption())
  .addOption(threadsOption())
  .option('--json', 'one JSON line per image: {"image", "engine", "ms", "detections": [{"index", "label", "score", "box"}]}')
  .option('--draw <out.jpg>', 'write the image (one only) with the detections drawn on it')
  .addOption(new Option('--resize-fit <fit>', 'how other sizes are fitted').choices(['fill', 'cover', 'contain']).default('fill'))
  .addOption(
    new Option('--resize-kernel <kernel>', 'resampling kernel').choices(['nearest', 'linear', 'cubic', 'lanczos3']).default('linear'),
  )
  .argument('<image...>', 'JPEG or PNG files')
  .action(async (images: string[], o: DetectOptions) => {
    if (o.draw !== undefined && images.length > 1) throw new CliError(`--draw writes one image; ${images.length} were given`, ExitCode.usage);
    const labelFile = o.labels ? await readLabelFile(o.labels) : null;
    const session = await openSessionForCli(o.model, o.engine, o.threads);
    const failures: number[] = [];
    try {
      const detection = session.info.detection;
      if (!detection) {
        throw new CliError(`${o.model} is not an object detector (it does not end in TFLite_Detection_PostProcess): use edge-agent classify`, ExitCode.dataError);
      }
      let spec: InputSpec;
      try {
        spec = imageInputSpec(o.model, session.info.input);
      } catch (err) {
        throw loadFailure(err) ?? err;
      }
      const labels = labelFile ? fitLabels(labelFile, detection.classes) : session.info.labels;
      for (const image of images) {
        const failed = await detectOne(session, detection, spec, image, o, labels);
        if (failed !== null) failures.push(failed);
      }
    } finally {
      await session.close();
    }
    if (failures.length > 0) {
      const code = failures.every((c) => c === ExitCode.noInput) ? ExitCode.noInput : ExitCode.dataError;
      throw new CliError(`${failures.length} of ${images.length} image${images.length > 1 ? 's' : ''} could not be searched`, code);
    }
  });

/** Detects and prints one image; the exit code of its failure, or null when it was done. */
async function detectOne(
  session: InferenceSession, detection: DetectionInfo, spec: InputSpec, image: string, o: DetectOptions, labels: readonly string[] | null,
): Promise<number | null> {
  const fail = (reason: string, code: number): number => {
    process.stderr.write(`edge-agent: ${image}: ${reason}\n`);
    if (o.json) process.stdout.write(JSON.stringify({ image, error: reason }) + '\n');
    return code;
  };
  const missing = await notReadable(image);
  if (missing !== null) return fail(missing, ExitCode.noInput);
  let tensor;
  try {
    tensor = await imageToTensor(image, spec, image, { fit: o.resizeFit, kernel: o.resizeKernel });
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    return fail(err.reason, ExitCode.dataError);
  }
  const start = performance.now();
  const result = await session.run(tensor);
  const ms = Math.round((performance.now() - start) * 1000) / 1000;
  const found = detections(result.outputs, detection, o.minScore, labels);
  if (o.json) process.stdout.write(JSON.stringify({ image, engine: session.engine, ms, detections: found }) + '\n');
  else printTable(image, session.engine, ms, found);
  if (o.draw !== undefined) await drawDetections(image, found, o.draw);
  return null;
}
