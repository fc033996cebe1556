import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { EngineChoice } from '../../kernels/engine.js';
import type { InferenceSession } from '../../kernels/session.js';
import { classCount, fitLabels, readLabelFile, topK } from '../pipeline/classification.js';
import { CliError, ExitCode } from './cli-error.js';
import { loadFailure, openSessionForCli } from './open-session.js';
import { ImageError, imageInputSpec, imageToTensor, type InputSpec, type ResizeFit, type ResizeKernel } from '../pipeline/preprocess.js';
import { engineOption, positiveInteger, threadsOption } from './options.js';

interface ClassifyOptions {
  model: string;
  labels?: string;
  top: number;
  engine: EngineChoice;
  threads: number;
  json?: boolean;
  raw?: boolean;
  resizeFit: ResizeFit;
  resizeKernel: ResizeKernel;
}

function printTable(image: string, engine: string, ms: number, top: ReturnType<typeof topK>): void {
  const width = Math.max(5, ...top.map((p) => p.label.length));
  const lines = [`${image}  (${engine}, ${ms.toFixed(2)} ms)`, `  ${'index'.padStart(5)}  ${'label'.padEnd(width)}  score`];
  for (const p of top) lines.push(`  ${String(p.index).padStart(5)}  ${p.label.padEnd(width)}  ${p.score.toFixed(4)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export const classifyCommand = new Command('classify')
  .description('classify images with a quantized TFLite model')
  .requiredOption('--model <file>', 'the .tflite model')
  .option('--labels <file>', 'labels file: one label a line, or `N  label` lines; must fit the model (default: the labels inside the model)')
  .option('--top <k>', 'how many classes to print (classes that score 0 are left out)', positiveInteger('--top'), 5)
  .addOption(engineOption())
  .addOption(threadsOption())
  .option('--json', 'one JSON line per image; {"image", "error"} for an image that failed')
  .option('--raw', 'with --json, also print the output tensor as stored')
  .addOption(new Option('--resize-fit <fit>', 'how other sizes are fitted').choices(['fill', 'cover', 'contain']).default('fill'))
  .addOption(
    new Option('--resize-kernel <kernel>', 'resampling kernel').choices(['nearest', 'linear', 'cubic', 'lanczos3']).default('linear'),
  )
  .argument('<image...>', 'JPEG or PNG files')
  .action(async (images: string[], o: ClassifyOptions) => {
    // Read first, so that a missing or broken labels file fails before the model loads.
    const labelFile = o.labels ? await readLabelFile(o.labels) : null;
    const session = await openSessionForCli(o.model, o.engine, o.threads);
    const failures: number[] = [];
    try {
      let spec: InputSpec;
      try {
        spec = imageInputSpec(o.model, session.info.input);
      } catch (err) {
        throw loadFailure(err) ?? err;
      }
      if (session.info.detection) {
        throw new CliError(`${o.model} is an object detector (it ends in TFLite_Detection_PostProcess): use edge-agent detect`, ExitCode.dataError);
      }
      const labels = labelFile ? fitLabels(labelFile, classCount(session.info.output.shape)) : session.info.labels;
      for (const image of images) {
        const failed = await classifyOne(session, spec, image, o, labels);
        if (failed !== null) failures.push(failed);
      }
    } finally {
      await session.close();
    }
    if (failures.length > 0) {
      // 66 only when every failure was an image that is not there to read; a bad image is data.
      const code = failures.every((c) => c === ExitCode.noInput) ? ExitCode.noInput : ExitCode.dataError;
      throw new CliError(`${failures.length} of ${images.length} image${images.length > 1 ? 's' : ''} could not be classified`, code);
    }
  });

/** Why `image` cannot be read as a file at all, or null when it can be tried. */
export async function notReadable(image: string): Promise<string | null> {
  try {
    const info = await stat(image);
    return info.isDirectory() ? 'is a directory, not an image' : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file';
    return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot be read (${code ?? (err as Error).message})`;
  }
}

/** Classifies and prints one image; the exit code of its failure, or null when it was classified. */
async function classifyOne(
  session: InferenceSession, spec: InputSpec, image: string, o: ClassifyOptions, labels: readonly string[] | null,
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
  const top = topK(result.values, o.top, labels);
  if (o.json) {
    const line: Record<string, unknown> = { image, engine: session.engine, ms, top };
    if (o.raw) line.raw = Array.from(result.raw);
    process.stdout.write(JSON.stringify(line) + '\n');
  } else {
    printTable(image, session.engine, ms, top);
  }
  return null;
}
