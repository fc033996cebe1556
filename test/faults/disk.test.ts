// Item 5 of issue 5: the data dir's disk full, or read-only, under a running agent. The
// tests run as root, which chmod does not stop, so the faults are made the way the
// outbox's own tests make them: the log and its compaction file pointed at /dev/full
// (ENOSPC on every write), and, where mounting works, a small tmpfs as the data dir that
// is filled up (a real ENOSPC, partial writes included) and remounted read-only (EROFS).
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, rmSync, symlinkSync, writeSync, closeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from '../support/agent-process.js';
import { Mosquitto } from '../support/mosquitto.js';
import { tmpfsUnavailable } from '../support/tmpfs.js';
import { itWhenPresent } from '../support/required-part.js';
import type { Recorder } from '../support/recorder.js';
import { telemetry, watchDevice } from './camera-drill.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, imageFolder, scratchDir, seconds, seqStream, startAgent, waitForLog, writeConfig, type LogLine } from './support.js';

const FPS = 5;
let work: string;
let images: string;
let config: string;
let broker: Mosquitto;
const watches: Recorder[] = [];
const mounts: string[] = [];

beforeAll(async () => {
  work = scratchDir('disk');
  images = imageFolder(work);
  config = writeConfig(work);
  broker = await Mosquitto.start();
  describeItem(
    '5',
    'Disk full or read-only data dir',
    'The behaviour is the same on a Pi; the times are set by the outbox\'s retry interval (1 s) and the telemetry ' +
      'interval (1 s here). An SD card that fills up or that the kernel remounts read-only after I/O errors (the usual ' +
      'end of a worn card) produces exactly these errors, ENOSPC and EROFS. Memory is the limit while degraded: results ' +
      'wait in memory only while the broker is also away, up to outbox.maxRecords (about 400 bytes each, 4 MB at the ' +
      'default 10,000), which a Pi Zero 2 W\'s 512 MB holds.',
  );
});

afterAll(async () => {
  await Promise.all(watches.map((w) => w.close()));
  for (const m of mounts) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  await broker?.cleanup();
  await cleanup();
});

interface Phase {
  name: string;
  reason: RegExp;
  inject(): void;
  clear(): void;
}

interface PhaseOutcome {
  name: string;
  reason: string;
  errorLines: number;
  detectMs: number;
  resultsWhileDegraded: number;
  okMs: number;
}

/**
 * Injects each disk fault into a running agent: one error line in its log and `degraded.outbox`
 * in telemetry, results still delivered while degraded, then after the clear the log is
 * written again (a log line says so) and telemetry is ok.
 */
async function diskDrill(agent: AgentProcess, watch: Recorder, device: string, phases: Phase[]): Promise<PhaseOutcome[]> {
  const outcomes: PhaseOutcome[] = [];
  const writeErrorSince = (since: number) => (l: LogLine): boolean => (l.time as number) >= since && l.level === 50 && /^cannot write the outbox/.test(l.msg ?? '');
  await watch.until((r) => telemetry(r, device, 0).some((t) => t.status === 'ok' && t.frames.inferred > 0), `${device}: telemetry ok before the drill`);
  for (const phase of phases) {
    const injectedAt = Date.now();
    phase.inject();
    const error = await waitForLog(agent, writeErrorSince(injectedAt), `${phase.name}: the error in the log`);
    expect(error.msg, phase.name).toMatch(phase.reason);
    let degradedAt = 0;
    await watch.until((r) => {
      const t = telemetry(r, device, injectedAt).find((x) => x.status === 'degraded' && phase.reason.test(x.degraded.outbox ?? ''));
      if (t) degradedAt = Date.parse(t.ts);
      return t !== undefined;
    }, `${phase.name}: telemetry degraded.outbox`);
    // Live results keep flowing while the disk is unusable and the broker is up.
    const flowingFrom = Date.now();
    await watch.until((r) => r.results(`edge/${device}/result`).filter((x) => Date.parse(x.ts) >= flowingFrom).length >= 2 * FPS, `${phase.name}: results while degraded`);
    expect(agent.child.exitCode, agent.stderr).toBeNull();
    const telemetryNow = telemetry(watch, device, flowingFrom).at(-1)!;
    expect(telemetryNow.outbox.degraded, phase.name).toBe(true);
    expect(telemetryNow.outbox.lastError, phase.name).toMatch(phase.reason);

    const clearedAt = Date.now();
    const resultsWhileDegraded = watch.results(`edge/${device}/result`).filter((x) => Date.parse(x.ts) >= injectedAt).length;
    phase.clear();
    await waitForLog(agent, (l) => (l.time as number) >= clearedAt && l.msg === 'outbox: writing works again; results held in memory are recorded', `${phase.name}: writing again`);
    let okAt = 0;
    await watch.until((r) => {
      const t = telemetry(r, device, clearedAt).find((x) => x.status === 'ok' && Object.keys(x.degraded).length === 0);
      if (t) okAt = Date.parse(t.ts);
      return t !== undefined;
    }, `${phase.name}: telemetry ok again`);
    // One error per condition, not one per failed write.
    const lines = (agent.logs() as LogLine[]).filter(writeErrorSince(injectedAt)).length;
    expect(lines, `${phase.name}: error lines`).toBe(1);
    outcomes.push({ name: phase.name, reason: error.msg!, errorLines: lines, detectMs: degradedAt - injectedAt, resultsWhileDegraded, okMs: okAt - clearedAt });
  }
  return outcomes;
}

/** After the drill: SIGTERM exits 0, every seq arrived, and a restart carries seq on. */
async function finish(agent: AgentProcess, watch: Recorder, device: string, args: string[]): Promise<{ seqs: number; duplicates: number }> {
  expect(await agent.stop('SIGTERM')).toBe(0);
  expect((agent.logs() as LogLine[]).filter((l) => (l.level as number) >= 60)).toEqual([]);
  const seqs = watch.results(`edge/${device}/result`).map((r) => r.seq);
  const last = Math.max(...seqs);
  const stream = seqStream(seqs, 0, last);
  expect(stream.missing).toEqual([]);
  const again = startAgent([...args, '--max-frames', '1']);
  expect(await again.exited, again.stderr).toBe(0);
  await watch.until((r) => r.results(`edge/${device}/result`).some((x) => x.seq === last + 1), `seq ${last + 1} after a restart`);
  return { seqs: last + 1, duplicates: stream.duplicates };
}

const figuresOf = (outcomes: PhaseOutcome[], end: { seqs: number; duplicates: number }): Record<string, string | number> => ({
  ...Object.fromEntries(outcomes.map((o) => [
    o.name,
    `"${o.reason.replace(work, '<scratch>').slice(0, 100)}..." (${o.errorLines} error line); degraded in telemetry after ${seconds(o.detectMs)} s; ` +
      `${o.resultsWhileDegraded} results delivered between the fault and its clear; ok ${seconds(o.okMs)} s after the clear`,
  ])),
  'results delivered, all seqs, none missing': end.seqs,
  'duplicates received': end.duplicates,
  'agent exits': 0,
});

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 5: disk full or read-only data dir', { timeout: 180_000 }, () => {
  it('ENOSPC (the log and its compaction file on /dev/full): an error, degraded, results still flowing, recovery', async () => {
    const device = 'fault-5-full';
    const watch = await watchDevice(broker.url, device);
    watches.push(watch);
    const dataDir = `${work}/data-${device}`;
    const log = `${dataDir}/outbox/results.log`;
    const args = ['--simulate', '--images', images, '--mqtt-url', broker.url, '--device-id', device, '--data-dir', dataDir, '--config', config, '--fps', String(FPS)];
    const agent = startAgent(args);
    const outcomes = await diskDrill(agent, watch, device, [{
      name: 'disk full (ENOSPC on /dev/full)',
      reason: /ENOSPC/,
      inject() {
        rmSync(log);
        symlinkSync('/dev/full', log);
        symlinkSync('/dev/full', `${log}.tmp`);
      },
      clear() {
        rmSync(log);
        rmSync(`${log}.tmp`);
      },
    }]);
    const end = await finish(agent, watch, device, args);
    recordFigure('5', 'disk full: the outbox on /dev/full', figuresOf(outcomes, end),
      `The agent ran at ${FPS} fps with mosquitto up. Its outbox log and compaction file were replaced by symlinks to /dev/full, ` +
      'so every append and rewrite failed with ENOSPC, then the symlinks were removed. Required: exactly one error line ' +
      'naming the file and ENOSPC, telemetry `degraded.outbox` with it and `outbox.lastError`, results delivered throughout, ' +
      '"writing works again" and telemetry `ok` after the clear, no crash (SIGTERM: exit 0), every seq delivered, and a ' +
      'restart continuing seq (the log rewritten on recovery).');
  });

  itWhenPresent(tmpfsUnavailable)('a real filesystem filled up (ENOSPC) and remounted read-only (EROFS), and a start on a read-only data dir', async () => {
    const device = 'fault-5-fs';
    const watch = await watchDevice(broker.url, device);
    watches.push(watch);
    const mountPoint = `${work}/tmpfs`;
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
    mounts.push(mountPoint);
    const dataDir = `${mountPoint}/data`;
    const filler = `${mountPoint}/filler`;
    const args = ['--simulate', '--images', images, '--mqtt-url', broker.url, '--device-id', device, '--data-dir', dataDir, '--config', config, '--fps', String(FPS)];
    const fill = (): void => {
      const fd = openSync(filler, 'w');
      try {
        // Large writes, then single bytes: the filesystem ends up full to the byte.
        for (const size of [64 * 1024, 1]) {
          const chunk = Buffer.alloc(size, 0x55);
          try {
            for (;;) writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        closeSync(fd);
      }
    };
    const remount = (mode: 'ro' | 'rw') => () => {
      // Read-only is refused (EBUSY) while a file is open for writing, as the outbox's log is
      // for the few milliseconds of each batch: try again for up to 5 s.
      for (const deadline = Date.now() + 5000; ; ) {
        try {
          execFileSync('mount', ['-o', `remount,${mode}`, mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] });
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        }
      }
    };
    let agent = startAgent(args);
    const outcomes = await diskDrill(agent, watch, device, [
      { name: 'disk full (tmpfs filled up)', reason: /ENOSPC/, inject: fill, clear: () => rmSync(filler) },
      { name: 'read-only (tmpfs remounted ro)', reason: /EROFS/, inject: remount('ro'), clear: remount('rw') },
    ]);
    expect(await agent.stop('SIGTERM')).toBe(0);

    // Started on a data dir that is read-only already: it must run, degraded, and deliver.
    remount('ro')();
    agent = startAgent(args);
    const startedAt = Date.now();
    const error = await waitForLog(agent, (l) => l.level === 50 && /^cannot write the outbox .*EROFS/.test(l.msg ?? ''), 'the EROFS error at start');
    await watch.until((r) => telemetry(r, device, startedAt).some((t) => t.status === 'degraded' && /EROFS/.test(t.degraded.outbox ?? '')), 'degraded from the start');
    const resultsFrom = Date.now();
    await watch.until((r) => r.results(`edge/${device}/result`).filter((x) => Date.parse(x.ts) >= resultsFrom).length >= 2 * FPS, 'results from a read-only start');
    remount('rw')();
    await waitForLog(agent, (l) => l.msg === 'outbox: writing works again; results held in memory are recorded', 'writing again after the read-only start');
    const end = await finish(agent, watch, device, args);

    recordFigure('5', 'a real filesystem: filled up, remounted read-only, and read-only at start', {
      ...figuresOf(outcomes, end),
      'start on a read-only data dir': `ran and delivered, "${error.msg!.replace(work, '<scratch>').slice(0, 100)}..."; recovered when writable`,
    }, `The agent's data dir was on a 2 MB tmpfs. With the agent at ${FPS} fps and mosquitto up, the filesystem was filled ` +
      'to the last byte by another file (a real ENOSPC, with partial writes), then the file was deleted; then it was ' +
      'remounted read-only (EROFS) and read-write again. Required for each, as with /dev/full: one error line, telemetry ' +
      '`degraded.outbox`, results delivered throughout, recovery by itself. Then the agent was stopped, the filesystem ' +
      'remounted read-only and the agent started on it: it had to run, report EROFS, deliver results, and recover when ' +
      'the filesystem was writable again; finally every seq delivered and a restart continuing seq.');
  });
});
