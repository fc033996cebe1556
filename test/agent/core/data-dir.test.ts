// The data directory check shared by `run` and `doctor`: created (with its parents), written
// and locked by one agent; a lock left by an agent that is gone is taken over; a directory that
// cannot be used is refused with a one-line reason and a fix, at once.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDataDir, type DataDirVerdict } from '../../../agent/core/data-dir.js';
import { describeProcess, LOCK_FILE, type LockHolder } from '../../../agent/core/data-dir-lock.js';
import { repoRoot } from '../../support/paths.js';
import { runNode } from '../../support/run-cli.js';
import { itWhenPresent } from '../../support/required-part.js';
import { tmpfsUnavailable } from '../../support/tmpfs.js';

const dirs: string[] = [];
const claims: DataDirVerdict[] = [];

afterEach(async () => {
  for (const c of claims.splice(0)) if (c.status === 'ok') await c.lock.release();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-test-'));
  dirs.push(dir);
  return dir;
}

async function claim(dir: string): Promise<DataDirVerdict> {
  const verdict = await claimDataDir(dir);
  claims.push(verdict);
  return verdict;
}

const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const writeLock = (dir: string, holder: unknown): void => writeFileSync(join(dir, LOCK_FILE), typeof holder === 'string' ? holder : JSON.stringify(holder));

/** A pid that was used a moment ago and whose process has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('data dir: create, write, lock', () => {
  it('creates a missing directory with its parents, locks it with this pid, and releases the lock', async () => {
    const dir = join(tempDir(), 'var', 'lib', 'edge-agent');
    const verdict = await claim(dir);
    expect(verdict.status, verdict.reason).toBe('ok');
    if (verdict.status !== 'ok') return;
    expect(verdict.replaced).toBeNull();
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
    expect(holder.pid).toBe(process.pid);
    expect(holder.bootId).toBe(bootId());
    expect(holder).toEqual(await describeProcess(process.pid));
    await verdict.lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect((await claim(dir)).status).toBe('ok');
  });

  it('refuses a directory that a running agent holds, naming the directory and its pid', async () => {
    const dir = tempDir();
    expect((await claim(dir)).status).toBe('ok');
    const second = await claim(dir);
    expect(second.status).toBe('in-use');
    expect(second.reason).toContain(dir);
    expect(second.reason).toContain(`pid ${process.pid}`);
    expect(second.fix).toMatch(/stop/);

    // Another live process's lock, start time and boot matching: in use too.
    const other = tempDir();
    const sleeper = spawn('sleep', ['30']);
    try {
      await new Promise((resolve) => sleeper.once('spawn', resolve));
      writeLock(other, await describeProcess(sleeper.pid!));
      const verdict = await claim(other);
      expect(verdict.status).toBe('in-use');
      expect(verdict.reason).toContain(`pid ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a lock whose holder is gone: a dead pid, another boot, a pid now used by another process, a damaged lock file', async () => {
    const me = (await describeProcess(process.pid))!;
    const cases: { name: string; lock: unknown; why: RegExp }[] = [
      { name: 'dead pid', lock: { ...me, pid: deadPid() }, why: /is not running/ },
      { name: 'another boot', lock: { ...me, bootId: '00000000-0000-4000-8000-000000000000' }, why: /before the last reboot/ },
      { name: 'pid reused', lock: { ...me, startTicks: me.startTicks! - 1 }, why: /another process/ },
      { name: 'damaged', lock: '{"pid": 12', why: /could not be read/ },
    ];
    for (const c of cases) {
      const dir = tempDir();
      writeLock(dir, c.lock);
      const verdict = await claim(dir);
      expect(verdict.status, `${c.name}: ${verdict.reason}`).toBe('ok');
      if (verdict.status !== 'ok') continue;
      expect(verdict.replaced?.why, c.name).toMatch(c.why);
      expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder).pid, c.name).toBe(process.pid);
    }
  });

  it('lets exactly one of several processes starting together take over a stale lock', async () => {
    const dir = tempDir();
    const script = join(dir, 'claim.mjs');
    // Each holds what it got for a while, so that the others meet a running holder, not a stale one.
    writeFileSync(script, `const { claimDataDir } = await import(${JSON.stringify(`${repoRoot}dist/agent/core/data-dir.js`)});
const verdict = await claimDataDir(process.argv[2]);
process.stdout.write(verdict.status);
await new Promise((resolve) => setTimeout(resolve, 3000));
if (verdict.status === 'ok') await verdict.lock.release();
`);
    const data = join(dir, 'data');
    for (let round = 0; round < 3; round++) {
      mkdirSync(data, { recursive: true });
      writeLock(data, { ...(await describeProcess(process.pid)), pid: deadPid() });
      const runs = await Promise.all(Array.from({ length: 6 }, () => runNode(script, [data], { timeoutMs: 30_000 })));
      const statuses = runs.map((r) => r.stdout).sort();
      expect(statuses, runs.map((r) => r.stderr).join('')).toEqual(['in-use', 'in-use', 'in-use', 'in-use', 'in-use', 'ok']);
      expect(existsSync(join(data, LOCK_FILE))).toBe(false);
    }
  });

  it('refuses an unusable directory at once with a one-line reason and a fix: a file, a path through a file, /proc, a dangling symlink', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), 'not a folder');
    symlinkSync(join(base, 'nowhere', 'at-all'), join(base, 'dangling'));
    const cases: { dir: string; reason: RegExp }[] = [
      { dir: join(base, 'file'), reason: /is a file, not a directory/ },
      { dir: join(base, 'file', 'data'), reason: new RegExp(`${join(base, 'file')} is a file, not a directory`) },
      { dir: '/proc/edge-agent-data', reason: /\/proc cannot hold it/ },
      { dir: join(base, 'dangling', 'data'), reason: /cannot hold it/ },
    ];
    for (const c of cases) {
      const started = performance.now();
      const verdict = await claim(c.dir);
      const ms = performance.now() - started;
      expect(verdict.status, c.dir).toBe('unusable');
      expect(verdict.reason, c.dir).toContain(c.dir);
      expect(verdict.reason, c.dir).toMatch(c.reason);
      expect(verdict.reason, c.dir).not.toContain('\n');
      expect(verdict.fix, c.dir).toMatch(/dataDir|--data-dir/);
      console.log(`${c.dir}: refused in ${ms.toFixed(1)} ms: ${verdict.reason}`);
    }
  });

  // Needs root with CAP_SYS_ADMIN (mount); test/faults/data-dir.test.ts covers no permission without it.
  itWhenPresent(tmpfsUnavailable)('on a read-only filesystem: an existing directory runs degraded (unlocked), a missing one is unusable', async () => {
    const mountPoint = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    try {
      mkdirSync(join(mountPoint, 'data'));
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      const existing = await claim(join(mountPoint, 'data'));
      expect(existing.status).toBe('degraded');
      expect(existing.reason).toMatch(/read-only/);
      const missing = await claim(join(mountPoint, 'new'));
      expect(missing.status).toBe('unusable');
      expect(missing.reason).toMatch(/read-only/);
    } finally {
      execFileSync('umount', ['-l', mountPoint]);
    }
  });
});
