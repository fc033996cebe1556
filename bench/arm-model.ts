// `npm run bench:arm`: a performance model of the ARM kernels on the Raspberry Pi cores,
// with no Pi. Two measurements are combined:
//  - the executed instructions of each layer, counted under qemu-user by the TCG plugin
//    kernels/native/bench/qemu/insn-count.c: kernels/native/bench/model-count (built with
//    the kernels' own flags, kernels/native/Makefile) runs each layer of a MobileNet once,
//    and the plugin counts every translation block's executions per layer;
//  - the cycles of each executed block on each core, by llvm-mca (cortex-a53 for the Pi 3,
//    cortex-a72 for the Pi 4, neoverse-n1 for the Pi 5's Cortex-A76), the block run in a
//    steady state of its own.
// A layer's time on a board is the sum over its blocks of executions x cycles per
// execution, over the board's clock. The clocks are assumed (the boards' stock ones), and
// so is what llvm-mca assumes: every load hits L1, branches are predicted, a block repeats
// without stalls from the one before. Caches, DRAM and thermal throttling are not seen.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installDir } from '../agent/core/install-dir.js';
import { benchArgs, runBench, usageError } from './bench-args.js';

const USAGE = `usage: npm run bench:arm -- [--models v1,v2] [--json]
  --models  MobileNet 1.0 224 versions, comma-separated (default v1,v2)
  --json    the table and the kernels' loops as one JSON object, on the last line`;
const values = benchArgs(USAGE, {
  models: { type: 'string', default: 'v1,v2' },
  json: { type: 'boolean', default: false },
});
const MODELS = ['v1', 'v2'] as const;
type Model = (typeof MODELS)[number];
const models = values.models!.split(',') as Model[];
for (const m of models) if (!MODELS.includes(m)) usageError(`--models: unknown model ${JSON.stringify(m)} (v1 or v2)`, USAGE);

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

// ---- the counts: per layer, per block ----

interface Layer {
  index: number;
  macs: number;
  kernel: string;
  name: string;
  blocks: Map<string, number>; // block key "vaddr:insns" -> executions
  insns: number;
}

function countLayers(model: Model, path: string, qemuCpu: string, mark: number, dir: string, code: Map<number, Insn>): Layer[] {
  const counts = join(dir, `${model}-${path}.txt`);
  const stdout = run(
    'qemu-aarch64',
    ['-cpu', qemuCpu, '-plugin', `${plugin},mark=0x${mark.toString(16)},out=${counts}`, binary, '--model', model, '--path', path],
    'qemu-user',
  );
  const chosen = /^path (\S+)/m.exec(stdout)?.[1];
  if (chosen !== path) throw new Error(`bench:arm: model-count ran path ${chosen}, not ${path}`);
  const layers: Layer[] = [];
  for (const m of stdout.matchAll(/^layer (\d+) (\d+) (\S+) (.*)$/gm)) {
    layers.push({ index: Number(m[1]), macs: Number(m[2]), kernel: m[3], name: m[4].replace(/\s+/g, ' '), blocks: new Map(), insns: 0 });
  }
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
    if (timed !== layer.insns) throw new Error(`bench:arm: ${model} layer ${layer.index} (${path}): the joined blocks hold ${timed} instructions, not the ${layer.insns} executed`);
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

interface KernelLoop {
  kernel: string;
  board: Board['name'];
  core: string;
  address: string;
  instructions: number;
  macsPerIteration: number;
  cyclesPerIteration: number;
  macsPerCycle: number;
  bottleneck: string;
  shareOfKernelInstructions: number;
}

runBench(async () => {
  const mca = findMca();
  for (const tool of ['aarch64-linux-gnu-gcc', 'qemu-aarch64']) run('sh', ['-c', `command -v ${tool}`], tool);
  run('make', ['-s', '-C', native, `-j2`, 'ARCH=arm64', 'CC=aarch64-linux-gnu-gcc', `OUT=${out}`, 'LDFLAGS=-static', binary, plugin], 'make');
  const code = disassemble();
  const mark = symbolAddress('edge_bench_phase');
  const dir = mkdtempSync(join(tmpdir(), 'bench-arm-'));
  try {
    const paths = [...new Set(BOARDS.map((b) => `${b.path} ${b.qemuCpu}`))];
    const counted = new Map<string, Layer[]>(); // "model path" -> layers
    for (const model of models) {
      for (const p of paths) {
        const [path, cpu] = p.split(' ');
        if (!counted.has(`${model} ${path}`)) counted.set(`${model} ${path}`, countLayers(model, path, cpu, mark, dir, code));
      }
    }
    const boards: Record<string, Record<string, number>> = {};
    const kernels: KernelLoop[] = [];
    const layerRows: string[] = [];
    const functionRows: string[] = [];
    for (const board of BOARDS) {
      const layersOf = models.map((m) => counted.get(`${m} ${board.path}`)!);
      const keys = [...new Set(layersOf.flatMap((ls) => ls.flatMap((l) => [...l.blocks.keys()])))];
      const timing = timeBlocks(keys, code, mca, board.mcpu, dir);
      boards[board.name] = {};
      // Per kernel symbol: its instructions, and its hottest block (the inner loop).
      const perKernel = new Map<string, { insns: number; blocks: Map<string, number> }>();
      const fnCycles = new Map<string, number>();
      models.forEach((model, mi) => {
        let cycles = 0;
        for (const layer of layersOf[mi]) {
          let layerCycles = 0;
          for (const [key, runs] of layer.blocks) {
            layerCycles += runs * timing.get(key)!.cycles;
            const insns = blockText(key, code);
            const fn = insns[0].fn;
            fnCycles.set(`${model} ${fn}`, (fnCycles.get(`${model} ${fn}`) ?? 0) + runs * timing.get(key)!.cycles);
            const k = perKernel.get(fn) ?? { insns: 0, blocks: new Map() };
            k.insns += runs * insns.length;
            k.blocks.set(key, (k.blocks.get(key) ?? 0) + runs * insns.length);
            perKernel.set(fn, k);
          }
          cycles += layerCycles;
          layerRows.push(
            `${board.name} ${model} ${String(layer.index).padStart(2)} ${layer.name.padEnd(34)} ${layer.kernel.padEnd(36)} ` +
              `${(layer.insns / 1e6).toFixed(2).padStart(8)} M insns ${((layerCycles / board.ghz) * 1e-6).toFixed(3).padStart(8)} ms ` +
              `${(layer.macs / layerCycles).toFixed(2).padStart(6)} MACs/cycle`,
          );
        }
        boards[board.name][model] = Math.round((cycles / board.ghz) * 1e-6 * 100) / 100;
      });
      for (const [what, cycles] of [...fnCycles].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
        functionRows.push(`${board.name} ${what.padEnd(44)} ${((cycles / board.ghz) * 1e-6).toFixed(2).padStart(8)} ms`);
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
    if (!values.json) {
      process.stdout.write(`llvm-mca: ${run(mca, ['--version'], 'llvm').match(/LLVM version \S+/)?.[0]}; instruction counts: qemu-aarch64 + insn-count plugin\n\n`);
      process.stdout.write('per layer (board model index shape kernel, executed instructions, modelled ms, MACs per cycle):\n');
      process.stdout.write(`${layerRows.join('\n')}\n\n`);
      process.stdout.write('where the time goes (board model function, the 8 costliest per board):\n');
      process.stdout.write(`${functionRows.join('\n')}\n\n`);
      process.stdout.write('hottest block of each kernel (its inner loop):\n');
      for (const k of kernels) {
        process.stdout.write(
          `  ${k.board} ${k.core.padEnd(11)} ${k.kernel.padEnd(38)} ${String(k.instructions).padStart(3)} insns ` +
            `${k.cyclesPerIteration.toFixed(2).padStart(6)} cycles ${String(k.macsPerIteration).padStart(4)} MACs ` +
            `${k.macsPerCycle.toFixed(2).padStart(5)} MACs/cycle ${(k.shareOfKernelInstructions * 100).toFixed(0).padStart(3)}% of its insns; ${k.bottleneck}\n`,
        );
      }
      process.stdout.write('\nsingle core, ms (L1-resident model; clocks assumed):\n');
      for (const b of BOARDS) process.stdout.write(`  ${b.label.padEnd(44)} path ${b.path.padEnd(8)} ${models.map((m) => `${m} ${boards[b.name][m].toFixed(2)}`).join('  ')}\n`);
    }
    process.stdout.write(`${JSON.stringify({ boards, kernels })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
