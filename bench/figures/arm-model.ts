// What `npm run bench:arm` (bench/arm-model.ts) measured, and its text: the bench prints these
// lines, and `npm run docs:update` renders the same lines from the recorded run into
// kernels/README.md and the README, so a figure there is always one the command printed.
import type { BenchRecord } from './bench-record.js';
import { describeProvenance } from './provenance.js';

/** A kernel's hottest block (its inner loop) on one board. */
export interface KernelLoop {
  kernel: string;
  board: string;
  core: string;
  address: string;
  instructions: number;
  macsPerIteration: number;
  cyclesPerIteration: number;
  macsPerCycle: number;
  bottleneck: string;
  shareOfKernelInstructions: number;
}

/** How much of a model the figures cover: the steps that run in C, not those the TypeScript kernels run. */
export interface ModelCoverage {
  file: string;
  steps: number;
  modelledSteps: number;
  /** The kinds of step modelled (conv, depthwise, gemm, ...). */
  modelled: string[];
  macs: number;
  modelledMacs: number;
  /** Steps run by the TypeScript reference kernels: no instruction of theirs is counted. */
  notModelled: { operator: string; shape: string }[];
}

export interface ArmFigures {
  /** The tools that counted and timed, as their --version prints them. */
  tools: { llvmMca: string; qemu: string; gcc: string };
  /** Each board as modelled: its core and assumed clock, and the kernel path the addon picks on it. */
  cores: { board: string; label: string; path: string }[];
  /** Milliseconds per frame, single core, by board then model. */
  boards: Record<string, Record<string, number>>;
  models: Record<string, ModelCoverage>;
  kernels: KernelLoop[];
  /** The costliest functions of each board, costliest first. */
  functions: { board: string; model: string; function: string; ms: number }[];
}

export function toolsLine(f: ArmFigures): string {
  return `llvm-mca: ${f.tools.llvmMca}; instruction counts: ${f.tools.qemu} + insn-count plugin; ${f.tools.gcc}`;
}

export function singleCoreLines(f: ArmFigures): string[] {
  const models = Object.keys(f.models);
  return [
    'single core, ms (L1-resident model; clocks assumed):',
    ...f.cores.map((c) => `  ${c.label.padEnd(44)} path ${c.path.padEnd(8)} ${models.map((m) => `${m} ${f.boards[c.board][m].toFixed(2)}`).join('  ')}`),
  ];
}

const mega = (x: number): string => `${(x / 1e6).toFixed(1)} M`;

/** What each model's figure covers, and what it leaves out. */
export function coverageLines(f: ArmFigures): string[] {
  return [
    'modelled (the steps the C kernels run; the TypeScript kernels\' steps are not modelled):',
    ...Object.entries(f.models).map(([model, c]) => {
      const left = c.notModelled.map((s) => `${s.operator} ${s.shape}`).join(', ');
      return (
        `  ${model} ${c.file}: ${c.modelled.join('+')}, ${c.modelledSteps} of ${c.steps} steps, ` +
        `${((c.modelledMacs / c.macs) * 100).toFixed(1)}% of its ${mega(c.macs)} MACs` +
        (left ? `; not modelled (TypeScript): ${left}` : '')
      );
    }),
  ];
}

export function hottestLines(f: ArmFigures): string[] {
  return [
    'hottest block of each kernel (its inner loop):',
    ...f.kernels.map(
      (k) =>
        `  ${k.board} ${k.core.padEnd(11)} ${k.kernel.padEnd(38)} ${String(k.instructions).padStart(3)} insns ` +
        `${k.cyclesPerIteration.toFixed(2).padStart(6)} cycles ${String(k.macsPerIteration).padStart(4)} MACs ` +
        `${k.macsPerCycle.toFixed(2).padStart(5)} MACs/cycle ${(k.shareOfKernelInstructions * 100).toFixed(0).padStart(3)}% of its insns; ${k.bottleneck}`,
    ),
  ];
}

export function costliestLines(f: ArmFigures): string[] {
  const perBoard = Math.max(...f.cores.map((c) => f.functions.filter((fn) => fn.board === c.board).length));
  return [
    `where the time goes (board model function, the ${perBoard} costliest per board):`,
    ...f.functions.map((fn) => `${fn.board} ${`${fn.model} ${fn.function}`.padEnd(44)} ${fn.ms.toFixed(2).padStart(8)} ms`),
  ];
}

const printed = (record: BenchRecord<ArmFigures>): string => `_${describeProvenance(record.provenance)}_`;

/** kernels/README.md's copy of the output, the per-layer lines left out. */
export function armOutputBlock(record: BenchRecord<ArmFigures>): string {
  const f = record.figures;
  return [
    '',
    '```',
    toolsLine(f),
    '',
    ...singleCoreLines(f),
    '',
    ...coverageLines(f),
    '',
    ...hottestLines(f),
    '',
    ...costliestLines(f),
    '```',
    '',
    printed(record),
    '',
  ].join('\n');
}

/** A board's v1 / v2 milliseconds, for the goals table. */
export function mobilenetCell(record: BenchRecord<ArmFigures>, board: string): string {
  const ms = record.figures.boards[board];
  return `${ms.v1.toFixed(2)} / ${ms.v2.toFixed(2)}`;
}

/** MACs per cycle of the GEMM's inner loop on a board. */
export function gemmLoopRate(record: BenchRecord<ArmFigures>, board: string): string {
  const loop = record.figures.kernels.find((k) => k.board === board && k.kernel.startsWith('qu8_gemm_'));
  if (!loop) throw new Error(`the recorded bench:arm run has no GEMM loop for ${board}`);
  return loop.macsPerCycle.toFixed(2);
}
