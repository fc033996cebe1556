import { Command, Option } from 'commander';
import type { EngineChoice } from '../../kernels/engine.js';
import type { InferenceSession } from '../../kernels/session.js';
import { readLabels, topK } from '../pipeline/classification.js';
import { CliError, ExitCode } from './cli-error.js';
import { openSessionForCli } from './open-session.js';
import { ImageError, imageToTensor, type ResizeFit, type ResizeKernel } from '../pipeline/preprocess.js';
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
  .option('--labels <file>', 'label file, one per line (default: the labels inside the model)')
  .option('--top <k>', 'how many classes to print', positiveInteger('--top'), 5)
  .addOption(engineOption())
  .addOption(threadsOption())
  .option('--json', 'one JSON line per image')
  .option('--raw', 'with --json, also print the output tensor as stored')
  .addOption(new Option('--resize-fit <fit>', 'how other sizes are fitted').choices(['fill', 'cover', 'contain']).default('fill'))
  .addOption(
    new Option('--resize-kernel <kernel>', 'resampling kernel').choices(['nearest', 'linear', 'cubic', 'lanczos3']).default('linear'),
  )
  .argument('<image...>', 'JPEG or PNG files')
  .action(async (images: string[], o: ClassifyOptions) => {
    const labels = o.labels ? await readLabels(o.labels) : null;
    const session = await openSessionForCli(o.model, o.engine, o.threads);
    let failures = 0;
    try {
      for (const image of images) {
        if (!(await classifyOne(session, image, o, labels))) failures++;
      }
    } finally {
      await session.close();
    }
    if (failures > 0) {
      throw new CliError(`${failures} of ${images.length} image${images.length > 1 ? 's' : ''} could not be classified`, ExitCode.dataError);
    }
  });

/** Classifies and prints one image; false when the image could not be read. */
async function classifyOne(session: InferenceSession, image: string, o: ClassifyOptions, labels: string[] | null): Promise<boolean> {
  const [, height, width, channels] = session.info.input.shape;
  let tensor;
  try {
    tensor = await imageToTensor(image, { height, width, channels, type: session.info.input.type }, image, {
      fit: o.resizeFit,
      kernel: o.resizeKernel,
    });
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    process.stderr.write(`edge-agent: ${err.message}\n`);
    return false;
  }
  const start = performance.now();
  const result = await session.run(tensor);
  const ms = Math.round((performance.now() - start) * 1000) / 1000;
  const top = topK(result.values, o.top, labels ?? session.info.labels);
  if (o.json) {
    const line: Record<string, unknown> = { image, engine: session.engine, ms, top };
    if (o.raw) line.raw = Array.from(result.raw);
    process.stdout.write(JSON.stringify(line) + '\n');
  } else {
    printTable(image, session.engine, ms, top);
  }
  return true;
}
