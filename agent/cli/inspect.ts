import { Command } from 'commander';
import { summarizeModel, type ModelSummary } from '../../kernels/model-summary.js';
import { planModel, unsupportedOperators } from '../../kernels/graph/plan.js';
import { loadModelFile } from '../../kernels/tflite/reader.js';
import type { Model } from '../../kernels/tflite/model-types.js';
import { ModelError } from '../../kernels/tflite/errors.js';
import { loadFailure } from './open-session.js';

const shape = (s: number[]): string => s.join('x');
const millions = (n: number): string => (n / 1e6).toFixed(2) + ' M';

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

/** Whether the runtime here can plan the model (engine aside: the TypeScript one always runs), and its arena if so. */
interface Runnability {
  runnable: boolean;
  /** The activation arena in bytes; null when the model cannot run. */
  arenaBytes: number | null;
  /** Why it cannot run; null when it can. */
  reason: string | null;
  /** Operators no kernel here executes (the model may also fail for other reasons). */
  unsupportedOperators: string[];
}

function runnability(model: Model): Runnability {
  const unsupported = unsupportedOperators(model);
  try {
    return { runnable: true, arenaBytes: planModel(model).arenaBytes, reason: null, unsupportedOperators: unsupported };
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    return { runnable: false, arenaBytes: null, reason: err.reason, unsupportedOperators: unsupported };
  }
}

function printSummary(file: string, s: ModelSummary, run: Runnability): void {
  const layerRows = [['#', 'operator', 'input', 'output', 'kernel/stride', 'activation', 'quantization', 'params', 'MACs']];
  for (const l of s.layers) {
    layerRows.push([
      String(l.index),
      l.op,
      l.inputShapes.map(shape).join(', '),
      shape(l.outputShape),
      l.kernel ? `${l.kernel.join('x')} /${l.stride?.[0]} ${l.padding}` : '',
      l.activation && l.activation !== 'NONE' ? l.activation : '',
      l.quantization,
      l.params ? l.params.toLocaleString('en-US') : '',
      l.macs ? l.macs.toLocaleString('en-US') : '',
    ]);
  }
  const pairRows = [['dw+pw', 'C_in', 'C_out', 'k', 'out', 'params', 'std params', 'MACs', 'std MACs', 'saving']];
  for (const p of s.pairs) {
    pairRows.push([
      `${p.depthwise}+${p.pointwise}`,
      String(p.inputC),
      String(p.outputC),
      String(p.kernel),
      `${p.outputH}x${p.outputW}`,
      p.params.toLocaleString('en-US'),
      p.standardParams.toLocaleString('en-US'),
      millions(p.macs),
      millions(p.standardMacs),
      p.saving === null ? '-' : `${p.saving.toFixed(1)}x`,
    ]);
  }
  const t = s.totals;
  const arena = run.arenaBytes !== null ? `activation arena ${(run.arenaBytes / 1024).toFixed(0)} KiB` : `not executable here: ${run.reason}`;
  // A model with no convolutions (or only empty ones) has no MACs to compare.
  const saving = t.macs > 0 ? ` (the separable layers save ${(t.standardConvMacs / t.macs).toFixed(1)}x in MACs)` : '';
  const detection = s.detection.map((d) => {
    const o = d.options;
    const head = `Detection postprocess (operator ${d.index}): ${d.anchors ?? '?'} anchors`;
    if (!o) return `${head}; options unreadable: ${d.problem}`;
    const nms = o.useRegularNms ? `regular NMS, up to ${o.detectionsPerClass} per class` : `fast NMS, ${o.maxClassesPerDetection} class${o.maxClassesPerDetection === 1 ? '' : 'es'} per detection`;
    return `${head}, ${o.numClasses} classes, up to ${o.maxDetections} detections, ${nms}, ` +
      `IoU threshold ${+o.nmsIouThreshold.toPrecision(6)}, score threshold ${+o.nmsScoreThreshold.toPrecision(6)}`;
  });
  const out = [
    file,
    '',
    table(layerRows, new Set([0, 7, 8])),
    '',
    ...(detection.length ? [...detection, ''] : []),
    `Depthwise-separable pairs (depthwise k x k + pointwise 1x1) against one standard k x k convolution:`,
    s.pairs.length ? table(pairRows, new Set([1, 2, 3, 5, 6, 7, 8, 9])) : '  none',
    '',
    `Totals: ${millions(t.params)} parameters, ${millions(t.macs)} MACs, ${arena}`,
    `As standard convolutions: ${millions(t.standardConvParams)} parameters, ${millions(t.standardConvMacs)} MACs${saving}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

export const inspectCommand = new Command('inspect')
  .description('show a model\'s layers, their cost, and the depthwise-separable saving')
  .requiredOption('--model <file>', 'the .tflite model')
  .option('--json', 'print one JSON object: layers, pairs, detection, totals, arenaBytes, runnable, reason, unsupportedOperators')
  .action(async (o: { model: string; json?: boolean }) => {
    let model: Model;
    try {
      model = await loadModelFile(o.model);
    } catch (err) {
      throw loadFailure(err) ?? err;
    }
    const summary = summarizeModel(model);
    const run = runnability(model);
    if (o.json) {
      process.stdout.write(JSON.stringify({ layers: summary.layers, pairs: summary.pairs, detection: summary.detection, totals: summary.totals, ...run }) + '\n');
    } else {
      printSummary(o.model, summary, run);
    }
  });
