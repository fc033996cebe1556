#!/usr/bin/env node
// Builds the native kernels (binding.gyp) for a Linux CPU, here, into the layout that
// node-gyp-build loads when a package has no build/ of its own:
// prebuilds/linux-<arch>/edge-agent.napi[.armv7].node. A device given one needs no compiler,
// no Node headers and no internet to get the native kernels; scripts/deploy ships each device
// the one for its CPU. The addon uses Node-API only, so one build serves every Node 20+.
//
//   node scripts/build-native.mjs [--arch x64|arm64|arm]... [--out DIR]
//
// Builds are kept in build-native/<hash of the sources, compiler and headers>/, so a second
// deploy of the same sources builds nothing. arm64 needs gcc-aarch64-linux-gnu, arm (32-bit
// Raspberry Pi OS on a Pi 2, 3 or 4: ARMv7 with NEON) gcc-arm-linux-gnueabihf; both need
// make and python3 (node-gyp).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { arch as hostArch, cpus } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = fileURLToPath(new URL('..', import.meta.url));

export class NativeBuildError extends Error {}

/** The CPUs a build can be made for, by Node's process.arch; `armv` is node-gyp-build's tag. */
export const targets = {
  x64: { triple: 'x86_64-linux-gnu', machine: 62, packages: 'gcc-x86-64-linux-gnu' },
  arm64: { triple: 'aarch64-linux-gnu', machine: 183, packages: 'gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu' },
  arm: { triple: 'arm-linux-gnueabihf', machine: 40, armv: '7', packages: 'gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf' },
};

/** Where node-gyp-build looks for a build for `arch`, relative to the package root. */
export function prebuildPath(arch) {
  const { armv } = targets[arch];
  return join('prebuilds', `linux-${arch}`, `edge-agent.napi${armv ? `.armv${armv}` : ''}.node`);
}

/**
 * The Linux CPUs a device running this Node (its process.arch and, on 32-bit ARM,
 * process.config.variables.arm_version) can load a build of; null when none is made here.
 */
export function targetFor(arch, armVersion) {
  if (arch === 'arm') return Number(armVersion) >= 7 ? 'arm' : null;
  return arch in targets ? arch : null;
}

export const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));

/** What node-gyp needs to build for this machine's own CPU and is not on PATH. */
export const missingBuildTools = () => ['cc', 'c++', 'make', 'python3'].filter((tool) => !onPath(tool));

/** The compiler set for `arch` on this machine; the host's own for its own CPU. */
function toolchain(arch) {
  const { triple, packages } = targets[arch];
  const prefixed = ['gcc', 'ar'].map((tool) => `${triple}-${tool}`);
  if (arch === hostArch() && process.platform === 'linux' && !prefixed.every(onPath)) {
    const missing = missingBuildTools();
    if (missing.length > 0) throw new NativeBuildError(`cannot build for linux-${arch} here: ${missing.join(', ')} not found (apt-get install build-essential python3)`);
    return { env: {}, compiler: 'cc' };
  }
  const missing = [...prefixed, 'make', 'python3'].filter((t) => !onPath(t));
  if (missing.length > 0) {
    throw new NativeBuildError(`cannot build for linux-${arch} here: ${missing.join(', ')} not found (apt-get install ${packages} make python3)`);
  }
  const gcc = `${triple}-gcc`;
  // The addon is C only: gcc links it as well as g++ would, and needs no C++ cross compiler.
  const cxx = onPath(`${triple}-g++`) ? `${triple}-g++` : gcc;
  return { env: { CC: gcc, CXX: cxx, LINK: cxx, AR: `${triple}-ar` }, compiler: gcc };
}

/**
 * Node's headers for node-gyp: the folder holding include/node/common.gypi, as a packaged Node
 * installs them beside its binary (the Debian package, NodeSource's, the official tarball);
 * else npm's nodedir setting; else null, and node-gyp downloads them.
 */
export function nodeHeaders() {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  if (existsSync(join(prefix, 'include/node/common.gypi'))) return prefix;
  return process.env.npm_config_nodedir || null;
}

/** npm's own node-gyp (npm tells scripts where it is), else the one beside npm, else on PATH. */
export function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    const npm = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
    candidates.push(join(dirname(npm), '../node_modules/node-gyp/bin/node-gyp.js'));
  } catch {
    // no npm on PATH: the candidates left decide
  }
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new NativeBuildError('node-gyp not found (it comes with npm; or: npm install -g node-gyp)');
  return found;
}

async function sourceFiles(dir) {
  const files = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else files.push(path);
  }
  return files;
}

/** Identifies a build: every source, the build files, the compiler's version and the headers used. */
async function buildKey(arch, compiler, headers) {
  const hash = createHash('sha256');
  const inputs = ['binding.gyp', 'kernels/native/sources.json', 'kernels/native/sources.cjs', ...(await sourceFiles(join(repo, 'kernels/native/src'))).map((f) => relative(repo, f))];
  for (const file of inputs) hash.update(`${file}\0`).update(await readFile(join(repo, file)));
  const version = execFileSync(compiler, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const headerVersion = headers ? await readFile(join(headers, 'include/node/node_version.h'), 'utf8').catch(() => '') : process.version;
  hash.update(`${arch}\0${version}\0${headers}\0${headerVersion}`);
  return hash.digest('hex').slice(0, 16);
}

/** The machine an ELF file is built for (its e_machine field). */
async function elfMachine(file) {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(20);
    await handle.read(header, 0, 20, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return null;
    return header[5] === 1 ? header.readUInt16LE(18) : header.readUInt16BE(18);
  } finally {
    await handle.close();
  }
}

/** Runs a command to its end: its exit code and its stdout and stderr together. */
export function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: -1, output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Builds the kernels for `arch` (or finds the kept build) and returns the folder that holds
 * prebuilds/linux-<arch>/…: copy or rsync its prebuilds/ into a package root. Throws
 * NativeBuildError, saying what is missing, when this machine cannot build for `arch`.
 */
export async function buildNative(arch, { cache = join(repo, 'build-native'), log = () => {} } = {}) {
  if (!(arch in targets)) throw new NativeBuildError(`no build for ${arch}: edge-agent's kernels are built for ${Object.keys(targets).join(', ')}`);
  const { env: tools, compiler } = toolchain(arch);
  const headers = nodeHeaders();
  const root = join(cache, `linux-${arch}-${await buildKey(arch, compiler, headers)}`);
  const file = join(root, prebuildPath(arch));
  if (existsSync(file)) return root;

  log(`building the native kernels for linux-${arch} with ${compiler}`);
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(cache, `.work-${arch}-`));
  try {
    // A tree of its own, so that the checkout's build/ (the host's addon) is left alone.
    await symlink(join(repo, 'binding.gyp'), join(work, 'binding.gyp'));
    await symlink(join(repo, 'kernels'), join(work, 'kernels'));
    // npm passes its settings to scripts as npm_config_* (arch, nodedir...), and node-gyp
    // lets them override its command line: only what is given here counts.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_)?config_/i.test(k)));
    const args = [nodeGyp(), 'rebuild', `--arch=${arch}`, `--jobs=${cpus().length}`, '--loglevel=warn', ...(headers ? [`--nodedir=${headers}`] : [])];
    const built = await run(process.execPath, args, { cwd: work, env: { ...env, ...tools } });
    const addon = join(work, 'build/Release/edge_kernels.node');
    if (built.code !== 0 || !existsSync(addon)) {
      const lines = built.output.trim().split('\n');
      throw new NativeBuildError(`node-gyp could not build the kernels for linux-${arch} (exit ${built.code}):\n${lines.slice(-15).join('\n')}`);
    }
    const machine = await elfMachine(addon);
    if (machine !== targets[arch].machine) throw new NativeBuildError(`${addon} is built for ELF machine ${machine}, not linux-${arch}`);
    const staged = join(work, 'out');
    await mkdir(dirname(join(staged, prebuildPath(arch))), { recursive: true });
    await cp(addon, join(staged, prebuildPath(arch)));
    // Two deploys may build the same key at once: the first rename wins, the other's is dropped.
    await rename(staged, root).catch((err) => {
      if (!existsSync(file)) throw err;
    });
    return root;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({ options: { arch: { type: 'string', multiple: true }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('usage: node scripts/build-native.mjs [--arch x64|arm64|arm]... [--out DIR]\n\nBuilds the native kernels into DIR/prebuilds/linux-<arch>/ (default: this checkout), for this\nmachine\'s CPU unless --arch says otherwise.');
    return;
  }
  const out = values.out ?? repo;
  let failed = false;
  for (const arch of values.arch ?? [hostArch()]) {
    try {
      const root = await buildNative(arch, { log: (m) => console.log(`build-native: ${m}`) });
      await mkdir(dirname(join(out, prebuildPath(arch))), { recursive: true });
      await cp(join(root, prebuildPath(arch)), join(out, prebuildPath(arch)));
      console.log(`build-native: ${join(out, prebuildPath(arch))}`);
    } catch (err) {
      if (!(err instanceof NativeBuildError)) throw err;
      console.error(`build-native: ${err.message}`);
      failed = true;
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
