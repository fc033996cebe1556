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
import { execFileSync } from 'node:child_process';
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

/**
 * A board: the core llvm-mca models, its clock (assumed: the stock one), and the path the
 * addon picks on it (on the A53 by its CPU part, kernel-table.c's edge_path_for_part).
 */
interface Board {
  name: 'pi3' | 'pi4' | 'pi5';
  label: string;
  mcpu: string;
  ghz: number;
  path: string;
  qemuCpu: string;
}
const BOARDS: Board[] = [
  { name: 'pi3', label: 'Pi 3, Cortex-A53 1.2 GHz', mcpu: 'cortex-a53', ghz: 1.2, path: 'neon-mlal', qemuCpu: 'cortex-a53' },
  { name: 'pi4', label: 'Pi 4, Cortex-A72 1.5 GHz', mcpu: 'cortex-a72', ghz: 1.5, path: 'neon', qemuCpu: 'cortex-a72' },
  { name: 'pi5', label: 'Pi 5, Cortex-A76 2.4 GHz (Neoverse N1 model)', mcpu: 'neoverse-n1', ghz: 2.4, path: 'neondot', qemuCpu: 'cortex-a76' },
];

const native = join(installDir, 'kernels/native');
const out = join(installDir, 'build/c/arm64');
const binary = join(out, 'model-count');
const plugin = join(out, 'insn-count.so');

function run(cmd: string, args: string[], what: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`bench:arm: ${cmd} not found (${what})`);
    throw new Error(`bench:arm: ${cmd} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' / ')}`);
  }
}

/** llvm-mca with a Neoverse N1 model: Debian 12's default llvm (14) runs N1 on an A57 model, llvm-19 has its own. */
function findMca(): string {
  for (const mca of ['llvm-mca-19', 'llvm-mca']) {
    try {
      const v = execFileSync(mca, ['--version'], { encoding: 'utf8' });
      const major = Number(/LLVM version (\d+)/.exec(v)?.[1] ?? 0);
      if (major >= 17) return mca;
    } catch {
      // not installed: try the next
    }
  }
  throw new Error('bench:arm: no llvm-mca of LLVM 17 or later (its Neoverse N1 model): apt-get install llvm-19');
}

// ---- the code: every instruction of the binary, by address ----

interface Insn {
  text: string; // as llvm-mca reads it
  mnemonic: string;
  fn: string;
}

function disassemble(): Map<number, Insn> {
  const insns = new Map<number, Insn>();
  let fn = '';
  const dump = run('aarch64-linux-gnu-objdump', ['-d', '--no-show-raw-insn', binary], 'binutils-aarch64-linux-gnu');
  for (const line of dump.split('\n')) {
    const head = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    if (head) {
      fn = head[1];
      continue;
    }
    const m = /^\s+([0-9a-f]+):\t(\S+)(?:\t(.*))?$/.exec(line);
    if (!m) continue;
    const mnemonic = m[2];
    // Branch and literal targets print as "ADDR <symbol+off>": llvm-mca needs only an operand it parses.
    const operands = (m[3] ?? '').replace(/\s*\/\/.*$/, '').replace(/\b[0-9a-f]+ <[^>]*>/g, '.');
    insns.set(parseInt(m[1], 16), { text: `${mnemonic}\t${operands}`.trim(), mnemonic, fn });
  }
  return insns;
}

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

// ---- the cycles: llvm-mca on each block ----

interface BlockTiming {
  cycles: number; // per execution, in steady state
  bottleneck: string;
}

const MCA_ITERATIONS = 100;

function blockText(key: string, code: Map<number, Insn>): Insn[] {
  if (key.includes('+')) return key.split('+').flatMap((part) => blockText(part, code));
  const [vaddr, n] = key.split(':');
  const start = parseInt(vaddr, 16);
  const insns: Insn[] = [];
  for (let i = 0; i < Number(n); i++) {
    const insn = code.get(start + 4 * i);
    if (!insn) throw new Error(`bench:arm: no instruction at 0x${(start + 4 * i).toString(16)} in ${binary}`);
    insns.push(insn);
  }
  return insns;
}

/** What limits a block: the busiest unit, or the dependencies when the block runs well below it. */
function bottleneck(report: string, cycles: number, insns: number): string {
  const names = new Map<string, string>();
  for (const m of report.matchAll(/^\[([\d.]+)\]\s+- (\S+)$/gm)) names.set(m[1], m[2]);
  const header = /Resource pressure per iteration:\n(.*)\n(.*)\n/.exec(report);
  let unit = '';
  let busiest = 0;
  if (header) {
    const ids = header[1].trim().split(/\s+/).map((s) => s.replace(/[[\]]/g, ''));
    const loads = header[2].trim().split(/\s+/).map((s) => (s === '-' ? 0 : Number(s)));
    const perUnit = new Map<string, number>();
    ids.forEach((id, i) => {
      const name = names.get(id) ?? id;
      perUnit.set(name, Math.max(perUnit.get(name) ?? 0, loads[i]));
    });
    for (const [name, load] of perUnit) if (load > busiest) [unit, busiest] = [name, load];
  }
  const width = Number(/Dispatch Width:\s+(\d+)/.exec(report)?.[1] ?? 0);
  const issue = width ? insns / width : 0;
  if (issue >= busiest && issue >= 0.85 * cycles) return `issue width (${width} per cycle)`;
  if (busiest >= 0.85 * cycles) return `${unit} (${busiest.toFixed(1)} of ${cycles.toFixed(1)} cycles)`;
  return `dependencies (busiest ${unit} ${busiest.toFixed(1)} of ${cycles.toFixed(1)} cycles)`;
}

const BRANCH = /^(b|bl|br|blr|ret|cbz|cbnz|tbz|tbnz|b\..*|svc|brk|udf)$/;

/**
 * QEMU ends a translation block at a page boundary (and at 512 instructions, or when its
 * translation fills up) as well as at a branch, which would cut a loop in two or three. A
 * block that ends without a branch is joined, for timing, to the block its executions fall
 * into, and so on to a branch; a block is timed on its own only for the executions that
 * entered it otherwise (counting it whole as well would time its fallen-into executions twice).
 */
function joinSplitBlocks(blocks: Map<string, number>, code: Map<number, Insn>): Map<string, number> {
  const byStart = new Map<number, string[]>();
  for (const key of blocks.keys()) {
    const start = parseInt(key.split(':')[0], 16);
    byStart.set(start, [...(byStart.get(start) ?? []), key]);
  }
  const next = new Map<string, string>();
  for (const key of blocks.keys()) {
    const insns = blockText(key, code);
    if (BRANCH.test(insns[insns.length - 1].mnemonic)) continue;
    const [vaddr, n] = key.split(':');
    const into = (byStart.get(parseInt(vaddr, 16) + 4 * Number(n)) ?? []).sort((a, b) => blocks.get(b)! - blocks.get(a)!)[0];
    if (into) next.set(key, into);
  }
  const entered = new Map(blocks);
  for (const [key, into] of next) entered.set(into, entered.get(into)! - blocks.get(key)!);
  const joined = new Map<string, number>();
  for (const [key, runs] of entered) {
    if (runs <= 0) continue;
    // The blocks of a chain start at increasing addresses, so it ends.
    const parts = [key];
    for (let last = key; next.has(last); ) parts.push((last = next.get(last)!));
    joined.set(parts.join('+'), runs);
  }
  return joined;
}

function timeBlocks(keys: string[], code: Map<number, Insn>, mca: string, mcpu: string, dir: string): Map<string, BlockTiming> {
  const source = keys
    .map((key) => `# LLVM-MCA-BEGIN ${key}\n${blockText(key, code).map((i) => `  ${i.text}`).join('\n')}\n# LLVM-MCA-END\n`)
    .join('');
  const file = join(dir, `${mcpu}.s`);
  writeFileSync(file, source);
  const report = run(mca, ['-mtriple=aarch64', `-mcpu=${mcpu}`, '-mattr=+dotprod,+lse,+rcpc', `-iterations=${MCA_ITERATIONS}`, '-instruction-info=false', '-skip-unsupported-instructions=any', '-call-latency=3', file], 'llvm');
  const timings = new Map<string, BlockTiming>();
  for (const region of report.split(/^\[\d+\] Code Region - /m).slice(1)) {
    const key = region.slice(0, region.indexOf('\n')).trim();
    const total = Number(/Total Cycles:\s+(\d+)/.exec(region)?.[1]);
    const insns = Number(/Instructions:\s+(\d+)/.exec(region)?.[1]) / MCA_ITERATIONS;
    const cycles = total / MCA_ITERATIONS;
    timings.set(key, { cycles, bottleneck: bottleneck(region, cycles, insns) });
  }
  for (const key of keys) if (!timings.has(key)) throw new Error(`bench:arm: llvm-mca (${mcpu}) gave no figures for block ${key}`);
  return timings;
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

/** The first line of a tool's --version. */
function version(tool: string, args = ['--version']): string {
  return run(tool, args, tool).split('\n')[0].trim();
}

runBench(async () => {
  const mca = findMca();
  for (const tool of ['aarch64-linux-gnu-gcc', 'qemu-aarch64']) run('sh', ['-c', `command -v ${tool}`], tool);
  run('make', ['-s', '-C', native, `-j2`, 'ARCH=arm64', 'CC=aarch64-linux-gnu-gcc', `OUT=${out}`, 'LDFLAGS=-static', binary, plugin], 'make');
  const code = disassemble();
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
