// A failed deploy leaves the device as it was. One device (a real sshd on 127.0.0.1, its disk
// a small tmpfs) runs a good release under pm2 with the real agent publishing results; then
// each failure is injected in turn: a full disk, an unreachable broker, missing and old tools,
// a bad configuration, a bad model; and a device without a compiler, which installs. After each, every file of the install is as it was and the
// agent's seq has no gap.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statfsSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { Pm2 } from './pm2.js';
import { startSshd, type Sshd } from './sshd.js';
import { deploy, type Run } from './run-deploy.js';


/**
 * Every path of the install with what it is: a symlink's target, a file's size, time, mode and
 * hash. persistent/data's contents are left out: the running agent writes there all the time.
 */
function snapshot(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const info = lstatSync(path);
      if (info.isSymbolicLink()) found[key] = `-> ${readlinkSync(path)}`;
      else if (info.isDirectory()) {
        found[key] = 'dir';
        if (key !== 'persistent/data') walk(path, key);
      } else {
        found[key] = `${info.size} ${info.mtimeMs} ${info.mode.toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      }
    }
  };
  walk(root, '');
  return found;
}

/** The seqs of the results published on `topic` from now on. */
async function watchResults(url: string, topic: string): Promise<{ seqs: Set<number>; more(n: number, timeoutMs: number): Promise<void>; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const seqs = new Set<number>();
  client.on('message', (_t, payload) => seqs.add((JSON.parse(payload.toString()) as { seq: number }).seq));
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    seqs,
    async more(n, timeoutMs) {
      const target = seqs.size + n;
      const deadline = Date.now() + timeoutMs;
      while (seqs.size < target) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} new results on ${topic} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    close: () => client.endAsync(),
  };
}

/** No seq is missing between the first and the last one seen. */
function expectUnbroken(seqs: Set<number>): void {
  const sorted = [...seqs].sort((a, b) => a - b);
  const missing = [];
  for (let s = sorted[0]; s <= sorted.at(-1)!; s++) if (!seqs.has(s)) missing.push(s);
  expect(missing, `seqs ${sorted[0]}..${sorted.at(-1)}`).toEqual([]);
}

describe('a failed deploy leaves the device as it was', () => {
  let work: string;
  let disk: string;
  let sshd: Sshd;
  let limited: Sshd;
  let tools: string;
  let broker: Mosquitto;
  let pm2: Pm2;
  let dest: string;
  let configFile: string;
  let results: Awaited<ReturnType<typeof watchResults>>;

  const user = userInfo().username;
  const device = (s = sshd): string => `${user}@127.0.0.1:${s.port}`;
  const options = (s = sshd): string[] => ['--dest', dest, '--ssh-opts', s.sshOpts, '--pm2', pm2.deployCommand, '--timeout', '90'];
  const deviceConfig = (extra = '', url = broker.url): string => `device:\n  id: from-config-file\nmqtt:\n  url: ${url}\ncamera:\n  type: sim\n${extra}`;
  const pid = async (): Promise<number> => (await pm2.list())[0].pid;
  const agentsOnDevice = (): number[] =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${dest}/current/bin/edge-agent`);
        } catch {
          return false;
        }
      })
      .map(Number);

  /** Deploys `config` (expecting a failure), then checks that nothing changed and no seq was lost. */
  async function failedDeploy(config: string, extra: string[] = [], s = sshd): Promise<Run> {
    const file = join(work, `attempt-${Date.now()}.yaml`);
    writeFileSync(file, config);
    const before = snapshot(dest);
    // Release names have one-second resolution.
    await new Promise((r) => setTimeout(r, 1100));
    const run = await deploy([device(s), '--device-id', 'cam-1', '--config', file, ...options(s), ...extra]);
    expect(run.code, run.output).toBe(1);
    expect(snapshot(dest)).toEqual(before);
    expect((await pm2.list())[0].pm2_env.status).toBe('online');
    await results.more(3, 30_000);
    expectUnbroken(results.seqs);
    // The agent pm2 runs is the only one: none it lost track of still holds the data directory.
    expect(agentsOnDevice()).toEqual([await pid()]);
    return run;
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('these tests mount a tmpfs as the device\'s disk: run them as root (CI does)');
    // Not under /tmp: a node_modules folder in an ancestor would let the deployed agent load
    // packages that npm ci did not install.
    work = mkdtempSync('/var/tmp/edge-agent-deploy-failures-');
    disk = join(work, 'device');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1024m', 'edge-agent-test-disk', disk]);
    mkdirSync(join(work, 'ssh'));
    sshd = await startSshd(join(work, 'ssh'));
    // A second way into the same device, whose PATH holds only the tools a test puts there.
    tools = join(work, 'tools');
    mkdirSync(tools);
    mkdirSync(join(work, 'ssh-limited'));
    limited = await startSshd(join(work, 'ssh-limited'), { env: { PATH: tools } });
    broker = await Mosquitto.start({ persistence: false });
    pm2 = new Pm2(join(work, 'pm2'));
    dest = join(disk, 'opt/edge-agent');
    configFile = join(work, 'config.yaml');
    writeFileSync(configFile, deviceConfig());

    const first = await deploy([device(), '--device-id', 'cam-1', '--config', configFile, ...options()]);
    expect(first.code, first.output).toBe(0);
    results = await watchResults(broker.url, 'edge/cam-1/result');
    await results.more(3, 30_000);
  }, 300_000);

  afterAll(async () => {
    await results?.close();
    await pm2?.kill();
    await sshd?.stop();
    await limited?.stop();
    await broker?.cleanup();
    if (disk) execFileSync('umount', [disk]);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  test('a full disk: the preflight says how much room the release needs, and nothing is copied', async () => {
    const filler = join(disk, 'filler');
    const { bavail, bsize } = statfsSync(disk);
    execFileSync('fallocate', ['-l', String(bavail * bsize - 4 * 2 ** 20), filler]);
    const agent = await pid();
    try {
      const run = await failedDeploy(deviceConfig());
      expect(run.output).toMatch(/FAILED +.*is not ready \(nothing was changed there\): not enough free disk space for \S+: the release needs about \d+ MiB, [0-4] MiB is free/);
    } finally {
      rmSync(filler);
    }
    expect(await pid()).toBe(agent);
  }, 300_000);

  test('a broker the device cannot reach: found before anything changes, config.yaml included', async () => {
    const closed = await freePort();
    const agent = await pid();
    const run = await failedDeploy(deviceConfig('', `mqtt://127.0.0.1:${closed}`));
    expect(run.output).toMatch(new RegExp(`FAILED +.*nothing was changed there.*cannot reach the broker mqtt://127.0.0.1:${closed} as device cam-1: .*ECONNREFUSED`));
    expect(await pid()).toBe(agent);
  }, 300_000);

  test('old Node, no pm2, and GPIO that a device without a compiler cannot install are reported together, and nothing changes', async () => {
    // Every tool of this machine but the compilers, and a node that says it is 18.
    const compilers = /^(c\+\+|g\+\+|gcc|cc|make|clang)([-.0-9]*)$|^x86_64-linux-gnu-|^aarch64-linux-gnu-/;
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin']) {
      for (const name of readdirSync(dir)) {
        if (compilers.test(name) || name === 'node') continue;
        try {
          symlinkSync(join(dir, name), join(tools, name));
        } catch {
          // the same name in an earlier folder wins, as on PATH
        }
      }
    }
    writeFileSync(join(tools, 'node'), `#!/bin/sh\nif [ "$1" = --version ]; then echo v18.19.1; else exec ${process.execPath} "$@"; fi\n`);
    chmodSync(join(tools, 'node'), 0o755);
    const agent = await pid();

    const gpio = 'trigger:\n  mode: gpio\ngpio:\n  enabled: true\n  trigger:\n    pin: 17\n';
    const run = await failedDeploy(deviceConfig(gpio), ['--pm2', '/nonexistent/pm2'], limited);
    const line = run.output.split('\n').find((l) => l.includes('FAILED'))!;
    expect(line).toContain('node is v18.19.1; edge-agent needs 20.9 or later');
    expect(line).toContain('pm2 not found (ran: /nonexistent/pm2 ping)');
    // The agent would refuse to start without its trigger input.
    expect(line).toContain('trigger.mode is gpio, so the agent cannot start without GPIO: GPIO needs the onoff package, which npm ci compiles, and the device lacks a C compiler, a C++ compiler, make');
    expect(await pid()).toBe(agent);
  }, 300_000);

  test('a device without a compiler installs: the kernels come from here, GPIO is left out, and doctor says why', async () => {
    // The same tools as above (no compilers), with the real node.
    rmSync(join(tools, 'node'));
    symlinkSync(process.execPath, join(tools, 'node'));
    const config = join(work, 'no-compiler.yaml');
    writeFileSync(config, deviceConfig('gpio:\n  enabled: true\n  led:\n    pin: 27\n'));
    await new Promise((r) => setTimeout(r, 1100));
    const run = await deploy([device(limited), '--device-id', 'cam-1', '--config', config, ...options(limited)]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('WARNING: GPIO needs the onoff package, which npm ci compiles, and the device lacks a C compiler, a C++ compiler, make: the agent will run without GPIO');
    expect(run.output).toContain(`native kernels: prebuilds/linux-${process.arch}/edge-agent.napi.node`);
    const release = join(dest, 'current');
    // npm ci left the optional onoff (and its epoll, which needs a compiler) out, and went on.
    expect(existsSync(join(release, 'node_modules/onoff'))).toBe(false);
    expect(existsSync(join(release, 'node_modules/mqtt'))).toBe(true);

    const doctor = spawnSync(join(release, 'bin/edge-agent'), ['doctor', '--config', join(dest, 'config.yaml'), '--json'], {
      env: { PATH: tools, HOME: work },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const checks = JSON.parse(doctor.stdout) as { name: string; status: string; detail: string; fix?: string }[];
    const gpioCheck = checks.find((c) => c.name === 'gpio')!;
    expect(gpioCheck.status).toBe('warn');
    expect(gpioCheck.detail).toContain('the onoff package is not installed (npm leaves it out where its native part, epoll, cannot be compiled)');
    expect(gpioCheck.fix).toContain('sudo apt-get install -y build-essential python3');
    expect(checks.find((c) => c.name === 'kernels')).toMatchObject({ status: 'ok' });
    await results.more(3, 30_000);
    expectUnbroken(results.seqs);
  }, 300_000);

  test('a bad configuration: the agent says why, the old release runs again, and the new one is gone', async () => {
    const run = await failedDeploy(deviceConfig('  fps: -1\n'));
    expect(run.output).toMatch(/FAILED +.*the agent exited with code 78 and pm2 will not restart it: .*camera\.fps.*\(rolled back to releases\/\S+, online again\)/);
  }, 300_000);

  test('a bad model: the exit is seen in pm2 within seconds, with the agent\'s own error line and only this attempt\'s log', async () => {
    const model = join(work, 'bad.tflite');
    writeFileSync(model, Buffer.alloc(4096, 7));
    const run = await failedDeploy(deviceConfig(`model:\n  file: ${model}\n`));
    expect(run.output).toMatch(/FAILED +.*the agent exited with code 65( \(pm2 restarted it \d+ times?\))?: .*not a TFLite model.*\(rolled back to releases\/\S+, online again\)/);
    // The previous test's configuration error is not this attempt's.
    expect(run.output).not.toContain('camera.fps');
  }, 300_000);

  test('pruning counts only releases that went live: a cut-off deploy never pushes out the last good one', async () => {
    const good = readlinkSync(join(dest, 'current')).replace('releases/', '');
    // A deploy cut off after copying: a release that never ran.
    const cutOff = new Date(Date.now() - 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    mkdirSync(join(dest, 'releases', cutOff, 'dist'), { recursive: true });
    await new Promise((r) => setTimeout(r, 1100));
    const run = await deploy([device(), '--device-id', 'cam-1', '--config', configFile, ...options(), '--keep', '2']);
    expect(run.code, run.output).toBe(0);
    const now = readlinkSync(join(dest, 'current')).replace('releases/', '');
    expect(readdirSync(join(dest, 'releases')).sort()).toEqual([good, now]);
    await results.more(3, 30_000);
    expectUnbroken(results.seqs);
  }, 300_000);
});
