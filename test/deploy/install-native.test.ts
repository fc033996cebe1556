// npm install's kernel step (scripts/install-native.mjs) on a machine without a compiler:
// the install goes on and says what is missing; kernels built elsewhere for this CPU
// (scripts/build-native.mjs, what scripts/deploy ships) are used; kernels built for
// another CPU are not taken for them. Each case runs in a package folder of its own whose
// PATH holds node and nothing else.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.js';

const name = `prebuilds/linux-${process.arch}/edge-agent.napi.node`;

describe('the install step for the native kernels, without a compiler', () => {
  let work: string;
  let noTools: string;
  let built: string;
  let foreignFile: string;

  /** A package folder as npm ci leaves it before the install step: no build/. */
  function packageFolder(label: string): string {
    const dir = join(work, label);
    mkdirSync(join(dir, 'scripts'), { recursive: true });
    for (const file of ['package.json', 'binding.gyp', 'scripts/install-native.mjs', 'scripts/build-native.mjs']) copyFileSync(join(repoRoot, file), join(dir, file));
    cpSync(join(repoRoot, 'kernels/native'), join(dir, 'kernels/native'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    return dir;
  }

  const install = (dir: string): { status: number | null; output: string } => {
    const r = spawnSync(process.execPath, ['scripts/install-native.mjs'], { cwd: dir, env: { PATH: noTools, HOME: work }, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: r.stdout + r.stderr };
  };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'edge-agent-install-native-'));
    noTools = join(work, 'bin');
    mkdirSync(noTools);
    symlinkSync(process.execPath, join(noTools, 'node'));
    // Built here, with this machine's compilers, as scripts/deploy does.
    built = join(work, 'built');
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build-native.mjs'), '--out', built], { stdio: 'pipe' });
    const foreign = process.arch === 'arm64' ? 'x64' : 'arm64';
    const otherCpu = join(work, 'other');
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build-native.mjs'), '--arch', foreign, '--out', otherCpu], { stdio: 'pipe' });
    foreignFile = join(otherCpu, `prebuilds/linux-${foreign}/edge-agent.napi.node`);
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('goes on, and says which tools are missing and how to get the kernels', () => {
    const dir = packageFolder('bare');
    const r = install(dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`the native kernels are not built: cc, c++, make, python3 not found, and no prebuilt kernels for linux-${process.arch}`);
    expect(r.output).toContain('sudo apt-get install -y build-essential python3, then in this folder: npm run install');
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });

  it('uses the kernels built elsewhere for this CPU, and they load', () => {
    const dir = packageFolder('prebuilt');
    cpSync(join(built, 'prebuilds'), join(dir, 'prebuilds'), { recursive: true });
    const r = install(dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`edge-agent: native kernels: ${name}`);
    const info = execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify(require("node-gyp-build")(process.argv[1]).info()))', dir], { encoding: 'utf8' });
    expect(JSON.parse(info)).toMatchObject({ arch: expect.any(String), best: expect.any(String) });
  });

  it('does not take kernels built for another CPU, filed under this one, for usable ones', () => {
    const dir = packageFolder('wrong-cpu');
    mkdirSync(join(dir, `prebuilds/linux-${process.arch}`), { recursive: true });
    copyFileSync(foreignFile, join(dir, name));
    const r = install(dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`the native kernels are not built: cc, c++, make, python3 not found, and ${name} does not load here (Error: `);
    expect(r.output).not.toContain('native kernels: prebuilds');
  });
});
