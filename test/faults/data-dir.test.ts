// Operator mistakes with the data directory, against the real agent as a child process:
// two agents started on one data dir (they would issue the same seqs), a lock left behind by
// an agent that was killed or by a power cut, and a data dir the agent cannot use (a file, a
// path through a file, under /proc, no permission as an unprivileged user, read-only), which
// must give one line and exit 73 at once instead of a stack of errors or a spinning process.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLog, RecordType } from '../../agent/outbox/outbox-log.js';
import type { AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/mosquitto.js';
import { runCli, type CliResult } from '../support/run-cli.js';
import { itWhenPresent } from '../support/required-part.js';
import { tmpfsUnavailable } from '../support/tmpfs.js';
import { cleanup, imageFolder, killAgent, loggedSeqs, scratchDir, startAgent, waitForLog, writeConfig, type LogLine } from './support.js';

const LOCK = 'agent.lock';
let work: string;
let images: string;
let config: string;
let nowhere: string;
const mounts: string[] = [];

beforeAll(async () => {
  work = scratchDir('data-dir');
  // Readable by the unprivileged user of the no-permission case.
  chmodSync(work, 0o755);
  images = imageFolder(work);
  config = writeConfig(work);
  // Nothing listens there: results stay in the outbox, which is what these tests read.
  nowhere = `mqtt://127.0.0.1:${await freePort()}`;
});

afterAll(async () => {
  for (const m of mounts) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  await cleanup();
});

const args = (device: string, dataDir: string, extra: string[] = []): string[] =>
  ['--simulate', '--images', images, '--mqtt-url', nowhere, '--device-id', device, '--data-dir', dataDir, '--config', config, '--fps', '10', ...extra];

/** The agent's exit code, or a failure if it is still running after `ms`. */
async function exitWithin(agent: AgentProcess, ms: number, what: string): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms; log tail:\n${agent.stdout.slice(-2000)}`)), ms);
  });
  return Promise.race([agent.exited, timeout]).finally(() => clearTimeout(timer));
}

/** The highest seq recorded in a data dir's outbox log. */
function lastRecorded(dataDir: string): number {
  const { records } = parseLog(readFileSync(`${dataDir}/outbox/results.log`));
  return Math.max(...records.filter((r) => r.type === RecordType.result).map((r) => (JSON.parse(r.payload.toString('utf8')) as { seq: number }).seq));
}

const tookOver = (agent: AgentProcess): LogLine[] => (agent.logs() as LogLine[]).filter((l) => /^took over the lock of the data directory/.test(l.msg ?? ''));

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('data dir: one agent per directory, and a clear refusal of one it cannot use', { timeout: 120_000 }, () => {
  it('a second agent on a data dir in use exits 75 at once, naming the directory and the first pid; the first runs on', async () => {
    const dataDir = `${work}/shared`;
    const first = startAgent(args('dd-first', dataDir));
    await waitForLog(first, (l) => l.msg === 'result', 'the first agent producing results');
    const startedAt = Date.now();
    const second = startAgent(args('dd-second', dataDir));
    const code = await exitWithin(second, 20_000, 'the second agent');
    const ms = Date.now() - startedAt;
    expect(code, second.stderr).toBe(75);
    const lines = second.stderr.trim().split('\n');
    expect(lines, second.stderr).toHaveLength(1);
    expect(lines[0]).toContain(dataDir);
    expect(lines[0]).toContain(`pid ${first.child.pid}`);
    expect(loggedSeqs(second)).toEqual([]);
    console.log(`second agent on a data dir in use: exit ${code} after ${ms} ms: ${lines[0]}`);

    // The first agent was not disturbed, and its clean stop frees the directory.
    const before = Math.max(...loggedSeqs(first));
    await waitForLog(first, (l) => l.msg === 'result' && (l.seq as number) >= before + 3, 'the first agent still producing results');
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(existsSync(`${dataDir}/${LOCK}`)).toBe(false);
    const last = lastRecorded(dataDir);
    expect(last).toBe(Math.max(...loggedSeqs(first)));
    const next = startAgent(args('dd-first', dataDir, ['--max-frames', '1']));
    expect(await exitWithin(next, 60_000, 'the agent after the first stopped'), next.stderr).toBe(0);
    expect(loggedSeqs(next)).toEqual([last + 1]);
    expect(tookOver(next)).toEqual([]);
  });

  it('takes over, with a log line, the lock of an agent killed with kill -9 and one left by a power cut, and carries seq on', async () => {
    const dataDir = `${work}/killed`;
    const killed = startAgent(args('dd-killed', dataDir));
    await waitForLog(killed, (l) => l.msg === 'result' && (l.seq as number) >= 3, 'results before the kill');
    await killAgent(killed);
    expect(JSON.parse(readFileSync(`${dataDir}/${LOCK}`, 'utf8')).pid).toBe(killed.child.pid);
    let last = lastRecorded(dataDir);
    let next = startAgent(args('dd-killed', dataDir, ['--max-frames', '1']));
    expect(await exitWithin(next, 60_000, 'the agent after kill -9'), next.stderr).toBe(0);
    let lines = tookOver(next);
    expect(lines).toHaveLength(1);
    expect(lines[0].msg).toContain(`pid ${killed.child.pid}`);
    expect(lines[0].msg).toContain('is not running');
    expect(lines[0].level).toBe(40);
    expect(loggedSeqs(next)).toEqual([last + 1]);
    expect(existsSync(`${dataDir}/${LOCK}`)).toBe(false);

    // A power cut: the lock names a pid that, after the reboot, belongs to a live process (init).
    writeFileSync(`${dataDir}/${LOCK}`, JSON.stringify({ pid: 1, bootId: '00000000-0000-4000-8000-000000000000', startTicks: 1 }));
    last = lastRecorded(dataDir);
    next = startAgent(args('dd-killed', dataDir, ['--max-frames', '1']));
    expect(await exitWithin(next, 60_000, 'the agent after a power cut'), next.stderr).toBe(0);
    lines = tookOver(next);
    expect(lines).toHaveLength(1);
    expect(lines[0].msg).toContain('pid 1');
    expect(lines[0].msg).toContain('before the last reboot');
    expect(loggedSeqs(next)).toEqual([last + 1]);
  });

  it('an unusable data directory: one line on stderr and exit 73 within a second of start-up (a file, through a file, /proc, no permission, a dangling symlink)', async () => {
    writeFileSync(`${work}/a-file`, 'not a folder');
    mkdirSync(`${work}/root-only`, { mode: 0o755 });
    mkdirSync(`${work}/root-owned`, { mode: 0o755 });
    symlinkSync(`${work}/gone/away`, `${work}/dangling`);
    // The baseline is start-up alone, loading the program and the configuration: a configuration
    // refused by the schema stops right there. Each time is the fastest of a few runs, the least
    // disturbed by other work on the machine.
    writeFileSync(`${work}/bad-config.yaml`, 'camera:\n  fps: -1\n');
    const fastest = async (argv: string[], runs: number, options: Parameters<typeof runCli>[1] = {}): Promise<{ r: CliResult; ms: number }> => {
      let best: { r: CliResult; ms: number } | null = null;
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const r = await runCli(argv, { timeoutMs: 20_000, ...options });
        const ms = performance.now() - started;
        if (!best || ms < best.ms) best = { r, ms };
      }
      return best!;
    };
    const start = await fastest(['run', '--simulate', '--config', `${work}/bad-config.yaml`, '--data-dir', `${work}/unused`], 3);
    expect(start.r.code, start.r.stderr).toBe(78);
    const baseline = start.ms;
    const cases: { name: string; dir: string; reason: RegExp; as?: { uid: number; gid: number } }[] = [
      { name: 'a file', dir: `${work}/a-file`, reason: /is a file, not a directory/ },
      { name: 'a path through a file', dir: `${work}/a-file/data`, reason: /is a file, not a directory/ },
      { name: 'under /proc', dir: '/proc/edge-agent-data', reason: /\/proc cannot hold it/ },
      { name: 'no permission to create it (as user nobody)', dir: `${work}/root-only/data`, reason: /no permission .* user nobody/, as: { uid: 65534, gid: 65534 } },
      { name: 'no permission to write in it (as user nobody)', dir: `${work}/root-owned`, reason: /cannot be written: no permission as user nobody/, as: { uid: 65534, gid: 65534 } },
      { name: 'a dangling symlink', dir: `${work}/dangling/data`, reason: /cannot hold it/ },
    ];
    for (const c of cases) {
      const { r, ms } = await fastest(['run', ...args('dd-unusable', c.dir)], 2, c.as ?? {});
      const lines = r.stderr.trim().split('\n');
      console.log(`${c.name}: exit ${r.code} after ${Math.round(ms)} ms (start-up alone ${Math.round(baseline)} ms): ${r.stderr.trim()}`);
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(73);
      expect(lines, c.name).toHaveLength(1);
      expect(lines[0], c.name).toContain(c.dir);
      expect(lines[0], c.name).toMatch(c.reason);
      expect(lines[0], c.name).not.toMatch(/internal error/);
      expect(r.stdout, c.name).toBe('');
      expect(ms - baseline, `${c.name}: time beyond start-up (ms)`).toBeLessThan(1000);
    }
  });

  // Needs root with CAP_SYS_ADMIN (mount); the no-permission case above covers a refused mkdir without it.
  itWhenPresent(tmpfsUnavailable)('a data dir to be made on a read-only filesystem: exit 73 with one line', async () => {
    const mountPoint = `${work}/ro-mount`;
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mountPoint]);
    mounts.push(mountPoint);
    const r = await runCli(['run', ...args('dd-ro', `${mountPoint}/data`)], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(73);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/read-only/);
  });
});
