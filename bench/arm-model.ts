// `npm run bench:arm`: a performance model of the ARM kernels on the Raspberry Pi cores,
// with no Pi. Two measurements are combined:
//  - the executed instructions of each layer, counted under qemu-user by the TCG plugin
//    kernels/native/bench/qemu/insn-count.c: kernels/native/bench/model-count (built with
//    the kernels' own flags, kernels/native/Makefile) runs each C operator of a model once,
//    and the plugin counts every translation block's executions per operator. The
//    operators are the model file's own: it is read and planned as the agent does
//    (kernels/tflite/reader.ts, kernels/graph/plan.ts), and what the TypeScript engine
//    asks the addon to create for each step is recorded and replayed by model-count;
//  - the cycles of each executed block on each core, by llvm-mca (cortex-a53 for the Pi 3,
//    cortex-a72 for the Pi 4, neoverse-n1 for the Pi 5's Cortex-A76), the block run in a
//    steady state of its own.
// A layer's time on a board is the sum over its blocks of executions x cycles per
// execution, over the board's clock. The clocks are assumed (the boards' stock ones), and
// so is what llvm-mca assumes: every load hits L1, branches are predicted, a block repeats
// without stalls from the one before. Caches, DRAM and thermal throttling are not seen, nor
// are the steps the TypeScript reference kernels run (a detector's head): the output says
// which.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { installDir } from '../agent/core/install-dir.js';
import { describeStep } from '../kernels/graph/describe.js';
import { Executor } from '../kernels/graph/executor.js';
import { planModel } from '../kernels/graph/plan.js';
import type { Step } from '../kernels/graph/steps.js';
import type { Binding, Handle } from '../kernels/native/binding.js';
import { NativeKernelSet } from '../kernels/native/kernel-set.js';
import { loadModelFile } from '../kernels/tflite/reader.js';
import { BOARDS, blockText, disassemble, findMca, joinSplitBlocks, run, timeBlocks, version, type Insn } from './arm/mca.js';
import { benchArgs, runBench, usageError } from './bench-args.js';
import {
  costliestLines, coverageLines, hottestLines, singleCoreLines, toolsLine,
  type ArmFigures, type KernelLoop, type ModelCoverage,
} from './figures/arm-model.js';
import { npmCommand, recordBench } from './figures/bench-record.js';

/** The shipped models bench:arm knows, by the name --models takes. */
const MODEL_FILES = {
  v1: 'models/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
  v2: 'models/mobilenet_v2_1.0_224_quant.tflite',
  ssd: 'models/ssd_mobilenet_v1_coco_quant.tflite',
};
type Model = keyof typeof MODEL_FILES;
const MODELS = Object.keys(MODEL_FILES) as Model[];

const USAGE = `usage: npm run bench:arm -- [--models v1,v2,ssd] [--json]
  --models  comma-separated (default v1,v2,ssd): v1 ${MODEL_FILES.v1},
            v2 ${MODEL_FILES.v2}, ssd ${MODEL_FILES.ssd}
  --json    the figures as one JSON object, on the last line`;
const values = benchArgs(USAGE, {
  models: { type: 'string', default: MODELS.join(',') },
  json: { type: 'boolean', default: false },
});
const models = values.models!.split(',') as Model[];
for (const m of models) if (!MODELS.includes(m)) usageError(`--models: unknown model ${JSON.stringify(m)} (${MODELS.join(', ')})`, USAGE);

const native = join(installDir, 'kernels/native');
const out = join(installDir, 'build/c/arm64');
const binary = join(out, 'model-count');
const plugin = join(out, 'insn-count.so');

function symbolAddress(name: string): number {
  const line = run('aarch64-linux-gnu-nm', [binary], 'binutils-aarch64-linux-gnu').split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`bench:arm: ${name} is not in ${binary}`);
  return parseInt(line.split(' ')[0], 16);
}

// ---- the layers: the model's steps, as the addon is asked to create them ----

/** One C operator of a model: its step in the plan, and what the step computes. */
interface StepInfo {
  index: number;
  kind: Step['kind'];
  macs: number;
  name: string;
}

interface ModelLayers {
  model: Model;
  file: string; // model-count's --layers
  layers: StepInfo[];
  coverage: ModelCoverage;
}

/** An array as model-count reads it: a uint32 count, then the elements (little-endian, as this host and aarch64 are). */
function encodeArray(a: Int32Array | Float32Array | Uint8Array | Float64Array | null | undefined): Buffer[] {
  const count = Buffer.alloc(4);
  count.writeUInt32LE(a?.length ?? 0);
  return a ? [count, Buffer.from(a.buffer, a.byteOffset, a.byteLength)] : [count];
}

/**
 * A Binding that creates nothing and keeps each create() call's arguments, encoded for
 * model-count: the TypeScript engine's NativeKernelSet over it asks for exactly the C
 * operators, weights and constants the addon would be given.
 */
function recordingBinding(records: Buffer[]): Binding {
  const unused = (): never => {
    throw new Error('bench:arm: the recording binding only records create()');
  };
  return {
    info: unused,
    createContext: unused,
    kernelName: unused,
    run: unused,
    contextPath: () => 'recorded',
    create(_context, kind, ints, weightZeroPoint, bias, scale, data, real) {
      const real64 = Buffer.alloc(8);
      real64.writeDoubleLE(real ?? 0);
      records.push(Buffer.concat([...[Buffer.from(kind, 'latin1'), ints, weightZeroPoint, bias, scale, data].flatMap(encodeArray), real64]));
      return {} as Handle;
    },
  };
}

/** Reads and plans `model` as the agent does, and writes the C operators of its steps for model-count. */
async function modelLayers(model: Model, dir: string): Promise<ModelLayers> {
  const plan = planModel(await loadModelFile(join(installDir, MODEL_FILES[model])));
  const records: Buffer[] = [];
  const kernels = new NativeKernelSet(recordingBinding(records), {} as Handle);
  const layers: StepInfo[] = [];
  const notModelled: ModelCoverage['notModelled'] = [];
  plan.steps.forEach((step, index) => {
    const before = records.length;
    // An executor of this step alone instantiates its kernel as the engine does; a step that
    // creates no C operator runs in the TypeScript reference kernels.
    new Executor({ ...plan, steps: [step] }, kernels);
    if (records.length > before + 1) throw new Error(`bench:arm: step ${index} (${step.kind}) creates ${records.length - before} C operators`);
    if (records.length === before) notModelled.push({ operator: step.operator.name, shape: describeStep(step) });
    else layers.push({ index, kind: step.kind, macs: step.macs, name: `${step.kind} ${describeStep(step)}` });
  });
  const file = join(dir, `${model}.layers`);
  writeFileSync(file, Buffer.concat(records));
  const macs = plan.steps.reduce((sum, s) => sum + s.macs, 0);
  return {
    model,
    file,
    layers,
    coverage: {
      file: basename(MODEL_FILES[model]),
      steps: plan.steps.length,
      modelledSteps: layers.length,
      modelled: [...new Set(layers.map((l) => l.kind))],
      macs,
      modelledMacs: layers.reduce((sum, l) => sum + l.macs, 0),
      notModelled,
    },
  };
}

// ---- the counts: per layer, per block ----

interface Layer extends StepInfo {
  kernel: string;
  blocks: Map<string, number>; // block key "vaddr:insns" -> executions
  insns: number;
}

function countLayers(model: ModelLayers, path: string, qemuCpu: string, mark: number, dir: string, code: Map<number, Insn>): Layer[] {
  const counts = join(dir, `${model.model}-${path}.txt`);
  const stdout = run(
    'qemu-aarch64',
    ['-cpu', qemuCpu, '-plugin', `${plugin},mark=0x${mark.toString(16)},out=${counts}`, binary, '--layers', model.file, '--path', path],
    'qemu-user',
  );
  const chosen = /^path (\S+)/m.exec(stdout)?.[1];
  if (chosen !== path) throw new Error(`bench:arm: model-count ran path ${chosen}, not ${path}`);
  const layers: Layer[] = [];
  for (const m of stdout.matchAll(/^layer (\d+) (.+)$/gm)) {
    layers.push({ ...model.layers[Number(m[1])], kernel: m[2], blocks: new Map(), insns: 0 });
  }
  if (layers.length !== model.layers.length) throw new Error(`bench:arm: model-count ran ${layers.length} of ${model.layers.length} layers`);
  for (const line of readFileSync(counts, 'utf8').split('\n')) {
    if (!line) continue;
    const [phase, vaddr, insns, runs] = line.split(' ');
    const layer = layers[Number(phase) - 1]; // phase 0 builds the operators; the last one tears down
    if (!layer) continue;
    const key = `${vaddr}:${insns}`;
    layer.blocks.set(key, (layer.blocks.get(key) ?? 0) + Number(runs));
    layer.insns += Number(insns) * Number(runs);
  }
  for (const layer of layers) {
    layer.blocks = joinSplitBlocks(layer.blocks, code);
    const timed = [...layer.blocks].reduce((sum, [key, runs]) => sum + runs * blockText(key, code).length, 0);
    if (timed !== layer.insns) throw new Error(`bench:arm: ${model.model} step ${layer.index} (${path}): the joined blocks hold ${timed} instructions, not the ${layer.insns} executed`);
  }
  return layers;
}

/** MACs one execution of these instructions does: the lanes of each multiply (x4 for a dot product). */
function macsOf(insns: Insn[]): number {
  let macs = 0;
  for (const i of insns) {
    if (!/^[us](mull|mlal|mlsl)2?$|^(mul|mla|mls)$|^[us]dot$/.test(i.mnemonic)) continue;
    const lanes = /^v\d+\.(\d+)([bhs])/.exec(i.text.split('\t')[1] ?? '');
    if (!lanes) continue;
    macs += Number(lanes[1]) * (/dot$/.test(i.mnemonic) ? 4 : 1);
  }
  return macs;
}

// ---- the model ----

runBench(async () => {
  const mca = findMca();
  for (const tool of ['aarch64-linux-gnu-gcc', 'qemu-aarch64']) run('sh', ['-c', `command -v ${tool}`], tool);
  run('make', ['-s', '-C', native, `-j2`, 'ARCH=arm64', 'CC=aarch64-linux-gnu-gcc', `OUT=${out}`, 'LDFLAGS=-static', binary, plugin], 'make');
  const code = disassemble(binary);
  const mark = symbolAddress('edge_bench_phase');
  const dir = mkdtempSync(join(tmpdir(), 'bench-arm-'));
  try {
    const planned = new Map<Model, ModelLayers>();
    for (const model of models) planned.set(model, await modelLayers(model, dir));
    const paths = [...new Set(BOARDS.map((b) => `${b.path} ${b.qemuCpu}`))];
    const counted = new Map<string, Layer[]>(); // "model path" -> layers
    for (const model of models) {
      for (const p of paths) {
        const [path, cpu] = p.split(' ');
        counted.set(`${model} ${path}`, countLayers(planned.get(model)!, path, cpu, mark, dir, code));
      }
    }
    const boards: Record<string, Record<string, number>> = {};
    const kernels: KernelLoop[] = [];
    const functions: ArmFigures['functions'] = [];
    const layerRows: string[] = [];
    for (const board of BOARDS) {
      const layersOf = models.map((m) => counted.get(`${m} ${board.path}`)!);
      const keys = [...new Set(layersOf.flatMap((ls) => ls.flatMap((l) => [...l.blocks.keys()])))];
      const timing = timeBlocks(keys, code, mca, board.mcpu, dir);
      boards[board.name] = {};
      // Per kernel symbol of the convolutions: its instructions, and its hottest block (the
      // inner loop). Elementwise kernels multiply too, but not MACs of the model's.
      const perKernel = new Map<string, { insns: number; blocks: Map<string, number> }>();
      const fnCycles = new Map<string, { model: Model; fn: string; cycles: number }>();
      models.forEach((model, mi) => {
        let cycles = 0;
        for (const layer of layersOf[mi]) {
          let layerCycles = 0;
          for (const [key, runs] of layer.blocks) {
            layerCycles += runs * timing.get(key)!.cycles;
            const insns = blockText(key, code);
            const fn = insns[0].fn;
            const f = fnCycles.get(`${model} ${fn}`) ?? { model, fn, cycles: 0 };
            f.cycles += runs * timing.get(key)!.cycles;
            fnCycles.set(`${model} ${fn}`, f);
            if (layer.macs === 0) continue;
            const k = perKernel.get(fn) ?? { insns: 0, blocks: new Map() };
            k.insns += runs * insns.length;
            k.blocks.set(key, (k.blocks.get(key) ?? 0) + runs * insns.length);
            perKernel.set(fn, k);
          }
          cycles += layerCycles;
          layerRows.push(
            `${board.name} ${model} ${String(layer.index).padStart(2)} ${layer.name.padEnd(44)} ${layer.kernel.padEnd(36)} ` +
              `${(layer.insns / 1e6).toFixed(2).padStart(8)} M insns ${((layerCycles / board.ghz) * 1e-6).toFixed(3).padStart(8)} ms ` +
              `${(layer.macs / layerCycles).toFixed(2).padStart(6)} MACs/cycle`,
          );
        }
        boards[board.name][model] = Math.round((cycles / board.ghz) * 1e-6 * 100) / 100;
      });
      for (const f of [...fnCycles.values()].sort((a, b) => b.cycles - a.cycles).slice(0, 8)) {
        functions.push({ board: board.name, model: f.model, function: f.fn, ms: Math.round((f.cycles / board.ghz) * 1e-6 * 100) / 100 });
      }
      for (const [fn, k] of perKernel) {
        if (!/^qu8_/.test(fn)) continue;
        const [hot, hotInsns] = [...k.blocks].sort((a, b) => b[1] - a[1])[0];
        const insns = blockText(hot, code);
        const macs = macsOf(insns);
        const t = timing.get(hot)!;
        kernels.push({
          kernel: fn,
          board: board.name,
          core: board.mcpu,
          address: `0x${hot.split(':')[0]}`,
          instructions: insns.length,
          macsPerIteration: macs,
          cyclesPerIteration: Math.round(t.cycles * 100) / 100,
          macsPerCycle: Math.round((macs / t.cycles) * 100) / 100,
          bottleneck: t.bottleneck,
          shareOfKernelInstructions: Math.round((hotInsns / k.insns) * 1000) / 1000,
        });
      }
    }
    const figures: ArmFigures = {
      tools: {
        llvmMca: run(mca, ['--version'], 'llvm').match(/LLVM version \S+/)?.[0] ?? mca,
        qemu: version('qemu-aarch64'),
        gcc: version('aarch64-linux-gnu-gcc'),
      },
      cores: BOARDS.map((b) => ({ board: b.name, label: b.label, path: b.path })),
      boards,
      models: Object.fromEntries(models.map((m) => [m, planned.get(m)!.coverage])),
      kernels,
      functions,
    };
    recordBench(npmCommand('bench:arm'), figures);
    if (!values.json) {
      const text = [
        toolsLine(figures),
        '',
        'per layer (board model step shape kernel, executed instructions, modelled ms, MACs per cycle):',
        ...layerRows,
        '',
        ...costliestLines(figures),
        '',
        ...hottestLines(figures),
        '',
        ...singleCoreLines(figures),
        ...coverageLines(figures),
      ];
      process.stdout.write(`${text.join('\n')}\n`);
    }
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
