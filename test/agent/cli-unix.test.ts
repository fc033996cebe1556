// The CLI as a Unix tool, run as real child processes: it stops quietly when its reader goes
// away, says its version, and ends with the documented sysexits code for each kind of failure.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, imagePath, modelPath, repoRoot } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync('/tmp/edge-agent-unix-');
const v1 = modelPath('mobilenet_v1_0.25_128_quant.tflite');
const cat = imagePath('cat.png');
const manyImages = Array.from({ length: 40 }, (_, i) => imagePath(['cat.png', 'parrot.jpg', 'bird.png'][i % 3]));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with its stdout on `stdout` (a pipe the test may close, or a file descriptor). */
function spawnCli(args: string[], stdout: 'pipe' | number) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', stdout, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, exited };
}

describe('a closed pipe', () => {
  it('`classify ... | head -1` ends quietly: no stack trace, exit 141 as for SIGPIPE', async () => {
    for (const format of [['--json'], []]) {
      const { child, exited } = spawnCli(['classify', '--model', v1, '--engine', 'js', ...format, ...manyImages], 'pipe');
      // What head -1 does: read up to the first newline, then close its end of the pipe.
      const first = await new Promise<string>((resolve) => {
        let seen = '';
        child.stdout!.on('data', (d: Buffer) => {
          seen += d.toString();
          if (seen.includes('\n')) {
            child.stdout!.destroy();
            resolve(seen.split('\n')[0]);
          }
        });
      });
      expect(first).toContain('cat.png');
      const { code, stderr } = await exited;
      expect(stderr, format.join(' ')).toBe('');
      expect(code).toBe(141);
    }
  });

  it('a stdout that cannot be written (a full disk) is one line and exit 74, not a stack trace', async () => {
    const full = openSync('/dev/full', 'w');
    const { exited } = spawnCli(['classify', '--model', v1, '--engine', 'js', '--json', cat], full);
    closeSync(full);
    const { code, stderr } = await exited;
    expect(stderr.trim()).toMatch(/^edge-agent: cannot write to stdout: .*ENOSPC/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(code).toBe(74);
  });
});

describe('options', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8'));
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('bench --warmup 0 times from the first run', async () => {
    const r = await runCli(['bench', '--model', v1, '--engine', 'js', '--runs', '1', '--warmup', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ runs: 1 });
  });

  it('bench refuses a negative --warmup as a usage error', async () => {
    const r = await runCli(['bench', '--model', v1, '--warmup', '-1']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--warmup must be an integer of 0 or more, got '-1'/);
  });

  it('classify --json prints an error line for an image that failed, and still exits non-zero', async () => {
    writeFileSync(`${dir}/text.png`, 'not a PNG\n');
    const r = await runCli(['classify', '--model', v1, '--engine', 'js', '--json', cat, `${dir}/text.png`, `${dir}/missing.jpg`]);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ image: cat, top: expect.any(Array) });
    expect(lines[1]).toEqual({ image: `${dir}/text.png`, error: expect.stringMatching(/^not an image/) });
    expect(lines[2]).toEqual({ image: `${dir}/missing.jpg`, error: 'no such file' });
    expect(r.stderr).toContain(`edge-agent: ${dir}/text.png: not an image`);
    expect(r.stderr).toContain(`edge-agent: ${dir}/missing.jpg: no such file`);
    expect(r.code).toBe(65);
  });
});

describe('exit codes', () => {
  let held: Server;
  let heldPort: number;
  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', () => resolve()));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

  it('a missing image is 66 (no input)', async () => {
    const r = await runCli(['classify', '--model', v1, '--engine', 'js', `${dir}/nope.jpg`]);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(`edge-agent: ${dir}/nope.jpg: no such file`);
  });

  it('a directory given as the image is 66 (no input)', async () => {
    const r = await runCli(['classify', '--model', v1, '--engine', 'js', dir]);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(`edge-agent: ${dir}: is a directory, not an image`);
  });

  it('a directory given as the model is 66 (no input), as for an image or a labels file', async () => {
    const r = await runCli(['classify', '--model', dir, '--engine', 'js', `${dir}/nope.jpg`]);
    expect(r.code).toBe(66);
    expect(r.stderr.trim()).toBe(`edge-agent: ${dir}: is a directory, not a model file`);
  });

  it('a missing image next to a bad one is 65: a bad image is data, whatever else is missing', async () => {
    writeFileSync(`${dir}/bad.png`, 'text\n');
    const r = await runCli(['classify', '--model', v1, '--engine', 'js', `${dir}/nope.jpg`, `${dir}/bad.png`]);
    expect(r.code).toBe(65);
  });

  it.each([
    ['PREBUILDS_ONLY=1 (node-gyp-build looks for no build of its own)', { PREBUILDS_ONLY: '1' }, /No native build was found/],
    ['EDGE_AGENT_KERNEL_PATH naming a path this build lacks', { EDGE_AGENT_KERNEL_PATH: 'no-such-path' }, /EDGE_AGENT_KERNEL_PATH/],
  ])('--engine native without the addon is 69 with the reason: %s', async (_, env, reason) => {
    for (const command of [['classify', cat], ['bench', '--runs', '1']]) {
      const r = await runCli([command[0], '--model', v1, '--engine', 'native', ...command.slice(1)], { env });
      expect(r.code, r.stderr).toBe(69);
      expect(r.stderr).toMatch(/^edge-agent: the native engine is unavailable: /);
      expect(r.stderr).toMatch(reason);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('run with model.engine native without the addon is 69 with the reason', async () => {
    writeFileSync(`${dir}/native.yaml`, `model:\n  file: ${v1}\n  engine: native\n`);
    const r = await runCli(['run', '--simulate', '--max-frames', '1', '--config', `${dir}/native.yaml`, '--data-dir', `${dir}/data-native`], { env: { PREBUILDS_ONLY: '1' } });
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toMatch(/edge-agent: the native engine is unavailable: .*No native build was found/);
  });

  it.each([
    ['web.port', 'web', 'web'],
    ['metrics.port', 'metrics', 'metrics'],
  ])('run with %s already in use is 69 (unavailable), naming the port, not 70', async (_, section, what) => {
    writeFileSync(`${dir}/${section}.yaml`, `model:\n  file: ${v1}\n${section}:\n  enabled: true\n  port: ${heldPort}\n`);
    const r = await runCli(['run', '--simulate', '--max-frames', '1', '--config', `${dir}/${section}.yaml`, '--data-dir', `${dir}/data-${section}`]);
    expect(r.code, r.stderr).toBe(69);
    const errors = r.stderr.trim().split('\n');
    expect(errors.length).toBeLessThanOrEqual(3);
    expect(errors[0]).toBe(`edge-agent: ${what}: cannot listen on 127.0.0.1:${heldPort}: the port is in use (another program, or another edge-agent, holds it)`);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
  });

  it('run with metrics.host no address of this machine is 69 too, with the cause (the address may come with the network)', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of a real machine.
    writeFileSync(`${dir}/host.yaml`, `model:\n  file: ${v1}\nmetrics:\n  enabled: true\n  host: 192.0.2.1\n  port: ${heldPort}\n`);
    const r = await runCli(['run', '--simulate', '--max-frames', '1', '--config', `${dir}/host.yaml`, '--data-dir', `${dir}/data-host`]);
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr.trim()).toBe(`edge-agent: metrics: cannot listen on 192.0.2.1:${heldPort}: listen EADDRNOTAVAIL: address not available 192.0.2.1:${heldPort}`);
  });
});
