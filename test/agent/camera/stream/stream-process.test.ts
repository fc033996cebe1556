// One capture program as a stream, with real child processes: its stderr logged a few
// lines at a time with the rest counted, the reason it ended taken from that stderr, its
// whole process group gone after stop() and after it exits by itself, and the fallback name
// found on PATH when the first is not installed.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProgram } from '../../../../agent/camera/stream/find-program.js';
import { StreamProcess } from '../../../../agent/camera/stream/stream-process.js';
import { createTestContext } from '../../../support/agent-context.js';
import { processesInGroups, until } from '../../../support/stream-parts.js';

const dir = mkdtempSync(join(tmpdir(), 'edge-agent-stream-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(script: string) {
  const { ctx, logs } = await createTestContext({ config: {}, dataDir: '/tmp' });
  const chunks: Buffer[] = [];
  let reason: string | null = null;
  const child = new StreamProcess({ file: '/bin/sh', args: ['-c', script], label: 'sh (test)' }, ctx.log, (c) => chunks.push(c), (r) => (reason = r));
  return { child, logs, chunks, reason: () => reason };
}

describe('StreamProcess', () => {
  it('logs the first lines of stderr, counts the rest, and ends with the line that says what failed', async () => {
    const { logs, chunks, reason } = await run('printf "frame" ; for i in $(seq 1 20); do echo "warning $i" >&2; done; echo "Connection refused" >&2; exit 3');
    await until('the end', () => reason());
    expect(reason()).toBe('sh (test) ended (exit 3): Connection refused');
    expect(Buffer.concat(chunks).toString()).toBe('frame');
    const lines = logs.filter((l) => l.program === 'sh (test)');
    expect(lines.map((l) => l.msg)).toEqual(['warning 1', 'warning 2', 'warning 3', 'warning 4', 'warning 5']);
  });

  it('stop() ends the program and everything it started, and reports no end of its own', async () => {
    const { child, reason } = await run('sleep 300 & sleep 300 & wait');
    await new Promise((r) => setTimeout(r, 200));
    expect(processesInGroups([child.pid!]).length).toBeGreaterThanOrEqual(3);
    await child.stop();
    expect(processesInGroups([child.pid!])).toEqual([]);
    expect(reason()).toBeNull();
  });

  it('a program that exits leaves nothing it started behind', async () => {
    const { child, reason } = await run('sleep 300 & exit 0');
    await until('the end', () => reason());
    expect(processesInGroups([child.pid!])).toEqual([]);
  });
});

describe('findProgram', () => {
  it('takes the first name that is an executable on PATH: libcamera-vid when rpicam-vid is not installed', () => {
    const bin = join(dir, 'bin');
    const other = join(dir, 'other');
    for (const d of [bin, other]) rmSync(d, { recursive: true, force: true });
    writeFileSync(join(dir, 'program'), '#!/bin/sh\n');
    chmodSync(join(dir, 'program'), 0o755);
    for (const d of [bin, other]) mkdirSync(d);
    symlinkSync(join(dir, 'program'), join(other, 'libcamera-vid'));
    writeFileSync(join(bin, 'rpicam-vid'), 'not executable');
    expect(findProgram(['rpicam-vid', 'libcamera-vid'], `${bin}:${other}`)).toEqual({ name: 'libcamera-vid', path: join(other, 'libcamera-vid') });
    expect(findProgram(['rpicam-vid'], bin)).toBeNull();
  });
});
