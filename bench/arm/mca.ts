// The ARM performance model's machinery, shared by bench:arm (our kernels) and
// bench:arm-decode (JPEG decoding in sharp's libvips): the boards, the disassembly of what
// ran under qemu-user, and llvm-mca's cycles for each executed block.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A board: the core llvm-mca models, its clock (assumed: the stock one), and the path the
 * addon picks on it (on the A53 by its CPU part, kernel-table.c's edge_path_for_part).
 */
export interface Board {
  name: 'pi3' | 'pi4' | 'pi5';
  label: string;
  mcpu: string;
  ghz: number;
  path: string;
  qemuCpu: string;
}
export const BOARDS: Board[] = [
  { name: 'pi3', label: 'Pi 3, Cortex-A53 1.2 GHz', mcpu: 'cortex-a53', ghz: 1.2, path: 'neon-mlal', qemuCpu: 'cortex-a53' },
  { name: 'pi4', label: 'Pi 4, Cortex-A72 1.5 GHz', mcpu: 'cortex-a72', ghz: 1.5, path: 'neon', qemuCpu: 'cortex-a72' },
  { name: 'pi5', label: 'Pi 5, Cortex-A76 2.4 GHz (Neoverse N1 model)', mcpu: 'neoverse-n1', ghz: 2.4, path: 'neondot', qemuCpu: 'cortex-a76' },
];

export function run(cmd: string, args: string[], what: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`bench:arm: ${cmd} not found (${what})`);
    throw new Error(`bench:arm: ${cmd} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' / ')}`);
  }
}

/** llvm-mca with a Neoverse N1 model: Debian 12's default llvm (14) runs N1 on an A57 model, llvm-19 has its own. */
export function findMca(): string {
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

/** The first line of a tool's --version. */
export function version(tool: string, args = ['--version']): string {
  return run(tool, args, tool).split('\n')[0].trim();
}

// ---- the code: every instruction of a file, by address ----

export interface Insn {
  text: string; // as llvm-mca reads it
  mnemonic: string;
  fn: string;
}

/**
 * The instructions of an arm64 ELF file, by the address they run at: the file's own plus
 * `bias` (where the loader put a shared library). With `keep`, only the addresses it accepts
 * (a large library's disassembly is millions of lines).
 */
export function disassemble(file: string, bias = 0, keep: (address: number) => boolean = () => true): Map<number, Insn> {
  const insns = new Map<number, Insn>();
  let fn = '';
  const dump = run('aarch64-linux-gnu-objdump', ['-d', '--no-show-raw-insn', file], 'binutils-aarch64-linux-gnu');
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
    const address = parseInt(m[1], 16) + bias;
    if (keep(address)) insns.set(address, { text: `${mnemonic}\t${operands}`.trim(), mnemonic, fn });
  }
  return insns;
}

// ---- the cycles: llvm-mca on each block ----

export interface BlockTiming {
  cycles: number; // per execution, in steady state
  bottleneck: string;
}

const MCA_ITERATIONS = 100;

export function blockText(key: string, code: Map<number, Insn>): Insn[] {
  if (key.includes('+')) return key.split('+').flatMap((part) => blockText(part, code));
  const [vaddr, n] = key.split(':');
  const start = parseInt(vaddr, 16);
  const insns: Insn[] = [];
  for (let i = 0; i < Number(n); i++) {
    const insn = code.get(start + 4 * i);
    if (!insn) throw new Error(`bench:arm: no instruction at 0x${(start + 4 * i).toString(16)} in the disassembly`);
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
export function joinSplitBlocks(blocks: Map<string, number>, code: Map<number, Insn>): Map<string, number> {
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

export function timeBlocks(keys: string[], code: Map<number, Insn>, mca: string, mcpu: string, dir: string): Map<string, BlockTiming> {
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
