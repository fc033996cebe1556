// `npm run bench:arm-decode`: what decoding one camera frame costs on the Raspberry Pi cores,
// with no Pi. The agent's JPEG preprocessing runs in the libvips that sharp ships for arm64
// (libjpeg inside it), driven by bench/arm/jpeg-decode.c under qemu-user; the TCG plugin
// counts each block's executions and llvm-mca gives each block's cycles on each board, as
// bench:arm does for the kernels (bench/arm/mca.ts, and the same assumptions: every load
// hits L1, branches are predicted, stock clocks). The frame is samples/cat_720p.jpg
// (1280x720, a photograph); the cases are the whole decode at each of libjpeg's scales and
// the preprocessing of each stream model, at the load scale sharp chooses for it here
// (bench/jpeg-load-scale.ts, libvips' own report). libvips runs one worker, so the figures
// are one core's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { installDir } from '../agent/core/install-dir.js';
import { imageInputSpec } from '../agent/pipeline/preprocess.js';
import { InferenceSession } from '../kernels/session.js';
import { BOARDS, disassemble, findMca, joinSplitBlocks, run, timeBlocks, version, type Insn } from './arm/mca.js';
import { benchArgs, runBench } from './bench-args.js';
import { decodeTable, type DecodeCase, type DecodeFigures } from './figures/arm-decode.js';
import { npmCommand, recordBench } from './figures/bench-record.js';
import { jpegLoadScale } from './jpeg-load-scale.js';

const USAGE = `usage: npm run bench:arm-decode -- [--json]
  --json    the figures as one JSON object, on the last line`;
const values = benchArgs(USAGE, { json: { type: 'boolean', default: false } });

const FRAME = join(installDir, 'samples/cat_720p.jpg');
/** The models bench:streams runs, whose preprocessing is timed here. */
const MODELS = ['mobilenet_v1_0.25_128_quant.tflite', 'mobilenet_v2_1.0_224_quant.tflite', 'ssd_mobilenet_v1_coco_quant.tflite'];
const SYSROOT = '/usr/aarch64-linux-gnu';
const out = join(installDir, 'build/arm-decode');
const plugin = join(installDir, 'build/c/arm64/insn-count.so');

/** sharp's libvips for arm64 and the headers to build against it, fetched once with npm pack. */
function libvipsArm64(): { lib: string; include: string[] } {
  const sharpPackage = JSON.parse(readFileSync(join(installDir, 'node_modules/sharp/package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
  const version = sharpPackage.optionalDependencies['@img/sharp-libvips-linux-arm64'];
  const dir = join(out, `libvips-${version}`);
  if (!existsSync(join(dir, 'dev/package/include/vips/vips.h'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // The lock file records the arm64 build's hash (sharp's optional dependency).
    const lock = JSON.parse(readFileSync(join(installDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity?: string }> };
    for (const [name, into] of [['@img/sharp-libvips-linux-arm64', 'lib'], ['@img/sharp-libvips-dev', 'dev']]) {
      const tarball = run('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', dir], 'npm').trim().split('\n').at(-1)!;
      const locked = lock.packages[`node_modules/${name}`]?.integrity;
      const actual = `sha512-${createHash('sha512').update(readFileSync(join(dir, tarball))).digest('base64')}`;
      if (locked && locked !== actual) throw new Error(`bench:arm-decode: ${name}@${version}: sha512 ${actual}, the lock file says ${locked}`);
      mkdirSync(join(dir, into));
      run('tar', ['-xzf', join(dir, tarball), '-C', join(dir, into)], 'tar');
    }
  }
  const lib = join(dir, 'lib/package/lib');
  const include = [join(dir, 'dev/package/include'), join(dir, 'dev/package/include/glib-2.0'), join(lib, 'glib-2.0/include')];
  return { lib, include };
}

interface Ran {
  cases: { text: string; output: string; blocks: Map<string, number>; insns: number }[];
  objects: { bias: number; start: number; end: number; file: string }[];
}

/** The driver under qemu with the plugin: each counted case's blocks, and the objects loaded. */
function countCases(driver: string, lib: string, cases: string[], dir: string): Ran {
  const nm = run('aarch64-linux-gnu-nm', [driver], 'binutils-aarch64-linux-gnu').split('\n').find((l) => l.endsWith(' edge_bench_phase'));
  if (!nm) throw new Error(`bench:arm-decode: edge_bench_phase is not in ${driver}`);
  const counts = join(dir, 'counts.txt');
  const stdout = execQemu(driver, lib, ['-plugin', `${plugin},mark=0x${nm.split(' ')[0]},out=${counts}`], [FRAME, ...cases]);
  const printed = [...stdout.matchAll(/^case (\S+) (\d+x\d+)$/gm)];
  if (printed.length !== cases.length) throw new Error(`bench:arm-decode: the driver ran ${printed.length} of ${cases.length} cases:\n${stdout}`);
  const ran: Ran = {
    cases: printed.map((m) => ({ text: m[1], output: m[2], blocks: new Map(), insns: 0 })),
    objects: [...stdout.matchAll(/^object (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) (.+)$/gm)].map((m) => ({
      bias: Number(m[1]), start: Number(m[2]), end: Number(m[3]), file: m[4],
    })),
  };
  for (const line of readFileSync(counts, 'utf8').split('\n')) {
    if (!line) continue;
    const [phase, vaddr, insns, runs] = line.split(' ');
    // Phase 2k+1 warms case k up, phase 2k+2 is its counted run (jpeg-decode.c).
    const p = Number(phase);
    if (p === 0 || p % 2 === 1) continue;
    const c = ran.cases[p / 2 - 1];
    if (!c) continue;
    const key = `${vaddr}:${insns}`;
    c.blocks.set(key, (c.blocks.get(key) ?? 0) + Number(runs));
    c.insns += Number(insns) * Number(runs);
  }
  return ran;
}

/** The driver under qemu-aarch64, the arm64 libvips found by the guest's loader. */
function execQemu(driver: string, lib: string, qemuArgs: string[], args: string[]): string {
  return run('env', [`LD_LIBRARY_PATH=${lib}`, 'qemu-aarch64', '-cpu', 'cortex-a72', '-L', SYSROOT, ...qemuArgs, driver, ...args], 'qemu-user');
}

/** The instructions of every object the counted blocks ran in, by run-time address; what cannot be read (the vDSO) is left out. */
function loadedCode(ran: Ran): Map<number, Insn> {
  const executed = new Set<number>();
  for (const c of ran.cases) {
    for (const key of c.blocks.keys()) {
      const [vaddr, n] = key.split(':');
      for (let i = 0; i < Number(n); i++) executed.add(parseInt(vaddr, 16) + 4 * i);
    }
  }
  const code = new Map<number, Insn>();
  for (const o of ran.objects) {
    const file = [o.file, join(SYSROOT, o.file), join(SYSROOT, 'lib', o.file.split('/').pop()!)].find((f) => f.startsWith('/') && existsSync(f));
    if (!file || ![...executed].some((a) => a >= o.start && a < o.end)) continue;
    for (const [address, insn] of disassemble(file, o.bias, (a) => a >= o.start && a < o.end && executed.has(a))) code.set(address, insn);
  }
  return code;
}

/** A block whose every instruction was found in a file. */
function readable(key: string, code: Map<number, Insn>): boolean {
  const [vaddr, n] = key.split(':');
  for (let i = 0; i < Number(n); i++) if (!code.has(parseInt(vaddr, 16) + 4 * i)) return false;
  return true;
}

runBench(async () => {
  const mca = findMca();
  for (const tool of ['aarch64-linux-gnu-gcc', 'qemu-aarch64']) run('sh', ['-c', `command -v ${tool}`], tool);
  run('make', ['-s', '-C', join(installDir, 'kernels/native'), 'ARCH=arm64', 'CC=aarch64-linux-gnu-gcc', `OUT=${join(installDir, 'build/c/arm64')}`, plugin], 'make');
  const { lib, include } = libvipsArm64();
  const libvips = run('sh', ['-c', `ls ${lib}/libvips-cpp.so.*`], 'the arm64 libvips').trim().split('\n')[0];
  const driver = join(out, 'jpeg-decode');
  run('aarch64-linux-gnu-gcc', ['-O2', '-no-pie', '-o', driver, join(installDir, 'bench/arm/jpeg-decode.c'), ...include.map((i) => `-I${i}`), `-L${lib}`, `-l:${libvips.split('/').pop()}`], 'gcc-aarch64-linux-gnu');

  const meta = await sharp(FRAME).metadata();
  const cases: { text: string; what: string }[] = [1, 2, 4, 8].map((s) => ({ text: String(s), what: s === 1 ? 'decode, whole' : `decode at 1/${s}` }));
  for (const model of MODELS) {
    const session = await InferenceSession.open(join(installDir, 'models', model), { engine: 'js' });
    const spec = imageInputSpec(model, session.info.input);
    await session.close();
    const scale = jpegLoadScale(FRAME, meta.height!, spec);
    cases.push({ text: `${scale}:${spec.width}:${spec.height}`, what: `${model.replace(/\.tflite$/, '')}'s preprocessing: decode ${scale === 1 ? 'whole' : `at 1/${scale}`}, resize to ${spec.width}x${spec.height}` });
  }

  const dir = mkdtempSync(join(tmpdir(), 'bench-arm-decode-'));
  try {
    const ran = countCases(driver, lib, cases.map((c) => c.text), dir);
    const code = loadedCode(ran);
    const perCase = ran.cases.map((c) => {
      const modelled = new Map([...c.blocks].filter(([key]) => readable(key, code)));
      const modelledInsns = [...modelled].reduce((sum, [key, runs]) => sum + runs * Number(key.split(':')[1]), 0);
      return { ...c, joined: joinSplitBlocks(modelled, code), modelledShare: modelledInsns / c.insns };
    });
    const keys = [...new Set(perCase.flatMap((c) => [...c.joined.keys()]))];
    const results: DecodeCase[] = perCase.map((c, i) => ({ case: c.text, what: cases[i].what, output: c.output, instructions: c.insns, modelledShare: Math.round(c.modelledShare * 1000) / 1000, ms: {} }));
    for (const board of BOARDS) {
      const timing = timeBlocks(keys, code, mca, board.mcpu, dir);
      perCase.forEach((c, i) => {
        let cycles = 0;
        for (const [key, runs] of c.joined) cycles += runs * timing.get(key)!.cycles;
        results[i].ms[board.name] = Math.round((cycles / board.ghz) * 1e-6 * 100) / 100;
      });
    }
    const figures: DecodeFigures = {
      frame: { file: 'samples/cat_720p.jpg', width: meta.width!, height: meta.height! },
      libvips: libvips.split('/').pop()!,
      tools: {
        llvmMca: run(mca, ['--version'], 'llvm').match(/LLVM version \S+/)?.[0] ?? mca,
        qemu: version('qemu-aarch64'),
        gcc: version('aarch64-linux-gnu-gcc'),
      },
      boards: BOARDS.map((b) => ({ board: b.name, label: b.label })),
      cases: results,
    };
    // Every block is looked up in its file; a case whose code could mostly not be read is no model.
    for (const r of results) if (r.modelledShare < 0.95) throw new Error(`bench:arm-decode: only ${(r.modelledShare * 100).toFixed(1)} % of case ${r.case}'s instructions were found in the loaded files`);
    recordBench(npmCommand('bench:arm-decode'), figures);
    if (!values.json) process.stdout.write(`${decodeTable(figures).join('\n')}\n`);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
