// scripts/deploy for real: an OpenSSH server on 127.0.0.1 plays the Raspberry Pi, the real
// project is deployed into a temporary directory, npm ci --omit=dev runs "on the device", pm2
// starts the real agent from ecosystem.config.js, and the script waits for it on mosquitto.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { docBlock } from '../support/deploy-doc.js';
import { repoRoot } from '../support/paths.js';
import { Pm2, pm2Cli, type BusEvent } from './pm2.js';
import { startSshd, type Sshd } from './sshd.js';
import { retainedStatus, watchStatus } from './status.js';
import { deploy } from './run-deploy.js';


const readyCount = (events: BusEvent[]): number => events.filter((e) => e.kind === 'msg' && e.name === 'edge-agent' && e.raw === 'ready').length;

describe('scripts/deploy over SSH to 127.0.0.1', () => {
  let work: string;
  let sshd: Sshd;
  let broker: Mosquitto;
  let pm2: Pm2;
  let bus: Awaited<ReturnType<Pm2['bus']>> | undefined;
  let dest: string;
  let configFile: string;

  const user = userInfo().username;
  const device = (): string => `${user}@127.0.0.1:${sshd.port}`;
  const options = (): string[] => ['--dest', dest, '--ssh-opts', sshd.sshOpts, '--pm2', pm2.deployCommand, '--timeout', '90'];
  const current = (): string => join(dest, 'current');
  /** The device's configuration, with `camera` lines added to its camera section (which names a camera: run refuses to start without one). */
  const deviceConfig = (camera = ''): string => `device:\n  id: from-config-file\nmqtt:\n  url: ${broker.url}\ncamera:\n  type: sim\n${camera}`;

  beforeAll(async () => {
    // Not under /tmp: a node_modules folder in an ancestor (there is one at /tmp on some
    // machines) would let the deployed agent load packages that npm ci did not install.
    work = mkdtempSync('/var/tmp/edge-agent-deploy-test-');
    mkdirSync(join(work, 'ssh'));
    sshd = await startSshd(join(work, 'ssh'));
    broker = await Mosquitto.start({ persistence: false });
    pm2 = new Pm2(join(work, 'pm2'));
    dest = join(work, 'device/opt/edge-agent');
    configFile = join(work, 'config.yaml');
    // The inventory's or --device-id's id must win over the file's (EDGE_AGENT_DEVICE_ID).
    writeFileSync(configFile, deviceConfig());
  });

  afterAll(async () => {
    await bus?.close();
    await pm2?.kill();
    await sshd?.stop();
    await broker?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('installs the project with the kernels built here for the device\'s CPU, and pm2 starts the agent, which reports ready and online', async () => {
    // On a fresh Pi the daemon is first started over SSH; the session must still end.
    const ping = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile('ssh', [...sshd.sshOpts.split(' '), '-p', String(sshd.port), `${user}@127.0.0.1`, `PM2_HOME=${pm2.home} ${pm2Cli} ping`],
        { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, output: stdout + stderr })),
    );
    expect(ping.code, ping.output).toBe(0);
    bus = await pm2.bus();

    const run = await deploy([device(), '--device-id', 'cam-1', '--config', configFile, ...options()]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(new RegExp(`${device()} +ok +device cam-1, online`));

    expect(readlinkSync(current())).toMatch(/^releases\/\d{8}T\d{6}Z$/);
    for (const file of ['bin/edge-agent', 'dist/agent/cli/main.js', 'ecosystem.config.js', 'config/default.yaml',
      'models/mobilenet_v2_1.0_224_quant.tflite', 'samples/cat.png', 'kernels/native/src/binding.c', 'package-lock.json',
      'agent/web/public/device.html']) {
      expect(existsSync(join(current(), file)), file).toBe(true);
    }
    // The TypeScript sources stay home; only the device page's static files travel with dist/.
    for (const file of ['test', 'agent/agent.ts', 'agent/cli', 'bench', '.git', 'node_modules/typescript', 'node_modules/vitest', 'node_modules/pm2']) {
      expect(existsSync(join(current(), file)), file).toBe(false);
    }
    expect(existsSync(join(current(), 'node_modules/mqtt/package.json'))).toBe(true);
    // The addon was built here (scripts/build-native.mjs) and npm ci on the device kept it:
    // nothing was compiled there, and nothing of this checkout's build/ was shipped.
    expect(run.output).toContain(`native kernels built here for linux-${process.arch}`);
    expect(run.output).toContain(`native kernels: prebuilds/linux-${process.arch}/edge-agent.napi.node`);
    expect(readFileSync(join(current(), `prebuilds/linux-${process.arch}/edge-agent.napi.node`)).readUInt32BE(0)).toBe(0x7f454c46);
    expect(existsSync(join(current(), 'build'))).toBe(false);
    expect(readFileSync(join(dest, 'config.yaml'), 'utf8')).toBe(readFileSync(configFile, 'utf8'));
    expect(readlinkSync(join(current(), 'data'))).toBe('../../persistent/data');

    const apps = await pm2.list();
    expect(apps.map((a) => a.name)).toEqual(['edge-agent']);
    const env = apps[0].pm2_env;
    expect(env.status).toBe('online');
    expect(env.wait_ready).toBe(true);
    expect(env.pm_exec_path).toBe(join(current(), 'bin/edge-agent'));
    expect(env.args).toEqual(['run', '--config', join(dest, 'config.yaml'), '--device-id', 'cam-1']);
    expect(readyCount(bus.events)).toBe(1);
    expect(await retainedStatus(broker.url, 'edge/cam-1/status')).toBe('online');
    expect(existsSync(join(pm2.home, 'dump.pm2')), 'pm2 save').toBe(true);
  }, 240_000);

  test('a second deploy (from an inventory, the kernels compiled by npm ci on the device) restarts the agent once: offline, then online and ready', async () => {
    const before = (await pm2.list())[0];
    const firstRelease = readlinkSync(current());
    const readies = readyCount(bus!.events);
    const inventory = join(work, 'fleet.txt');
    writeFileSync(inventory, `# the test device\n\n${device()}   cam-1   # same id as before\n`);
    // The device as an install made when the folder kept across releases was shared/: this
    // deploy moves it to persistent/, and the agent's data (seq, outbox) goes along.
    const old = join(dest, 'shared');
    renameSync(join(dest, 'persistent'), old);
    const link = join(dest, firstRelease, 'data');
    rmSync(link);
    symlinkSync(relative(dirname(link), join(old, 'data')), link);
    const seqMark = readFileSync(join(old, 'data', 'seq-high-water'));
    // Release names have one-second resolution.
    await new Promise((r) => setTimeout(r, 1100));

    const status = await watchStatus(broker.url, 'edge/cam-1/status');
    const started = Date.now();
    try {
      const run = await deploy(['--inventory', inventory, ...options(), '--build-on-device']);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain('native kernels: build/Release/edge_kernels.node');
      // One clean stop and one start: no second client fighting over the id, no flapping.
      expect(status.live).toEqual(['offline', 'online']);
    } finally {
      await status.close();
    }

    const after = (await pm2.list())[0];
    expect(after.pm2_env.status).toBe('online');
    expect(after.pid).not.toBe(before.pid);
    // The deploy stops the agent and then starts it (stopAgent in scripts/deploy), which pm2
    // does not count as a restart: any restart counted here would be the agent exiting.
    expect(after.pm2_env.restart_time).toBe(before.pm2_env.restart_time);
    expect(after.pm2_env.unstable_restarts).toBe(0);
    expect(readyCount(bus!.events)).toBe(readies + 1);
    expect(readlinkSync(current())).not.toBe(firstRelease);
    expect(statSync(join(current(), 'build/Release/edge_kernels.node')).mtimeMs).toBeGreaterThan(started);
    expect(existsSync(join(current(), 'prebuilds'))).toBe(false);
    expect(existsSync(old)).toBe(false);
    for (const release of [firstRelease, readlinkSync(current())]) expect(readlinkSync(join(dest, release, 'data'))).toBe('../../persistent/data');
    expect(readFileSync(join(dest, 'persistent', 'data', 'seq-high-water')).length).toBe(seqMark.length);
    expect(readdirSync(join(dest, 'releases')).sort()).toEqual([firstRelease, readlinkSync(current())].map((r) => r.replace('releases/', '')));
    // Each release says what it is, and status lists the current one and the one before.
    const listed = await deploy(['status', '--inventory', inventory, '--dest', dest, '--ssh-opts', sshd.sshOpts]);
    expect(listed.code, listed.output).toBe(0);
    const info = JSON.parse(readFileSync(join(current(), 'dist/build-info.json'), 'utf8')) as { version: string; commit: string; builtAt: string };
    expect(info.version).toBe((JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { version: string }).version);
    expect(info.commit).toMatch(/^([0-9a-f]{40}(\+dirty\.[0-9a-f]{12})?|content\.[0-9a-f]{12})$/);
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(listed.output).toMatch(new RegExp(`^  current +${escape(readlinkSync(current()))} +${escape(info.version)} ${escape(info.commit)} built ${escape(info.builtAt)}$`, 'm'));
    expect(listed.output).toMatch(new RegExp(`^  previous +${escape(firstRelease)} +${escape(info.version)} \\S+ built \\S+$`, 'm'));
    // Unchanged files were not sent again: rsync linked them to the first release's.
    const model = 'models/mobilenet_v2_1.0_224_quant.tflite';
    expect(statSync(join(current(), model)).ino).toBe(statSync(join(dest, firstRelease, model)).ino);
  }, 240_000);

  test('going back to the previous release by hand, as docs/deploy.md writes it, runs it again', async () => {
    const previous = readdirSync(join(dest, 'releases')).sort()[0];
    expect(`releases/${previous}`).not.toBe(readlinkSync(current()));
    const before = (await pm2.list())[0].pid;
    // The documented command, with this device's address, install directory, release and pm2.
    const command = docBlock('What runs where').trim()
      .replace(/^ssh pi@feeder-1\.local /, `ssh ${sshd.sshOpts} -p ${sshd.port} ${user}@127.0.0.1 `)
      .replaceAll('/opt/edge-agent', dest)
      .replace(/releases\/\d{8}T\d{6}Z/, `releases/${previous}`)
      .replace('pm2 restart', `${pm2.deployCommand} restart`);
    const status = await watchStatus(broker.url, 'edge/cam-1/status');
    try {
      const done = spawnSync('bash', ['-c', command], { encoding: 'utf8', timeout: 60_000 });
      expect(done.status, done.stdout + done.stderr).toBe(0);
      await status.seen('online', 30_000);
    } finally {
      await status.close();
    }
    expect(readlinkSync(current())).toBe(`releases/${previous}`);
    const after = (await pm2.list())[0];
    expect(after.pm2_env.status).toBe('online');
    expect(after.pid).not.toBe(before);
    expect(realpathSync(`/proc/${after.pid}/cwd`)).toBe(realpathSync(join(dest, 'releases', previous)));
  }, 120_000);

  test('a release that does not come online is rolled back, configuration included', async () => {
    const good = readlinkSync(current());
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, deviceConfig('  fps: -1\n'));
    await new Promise((r) => setTimeout(r, 1100));

    const status = await watchStatus(broker.url, 'edge/cam-1/status');
    try {
      const run = await deploy([device(), '--device-id', 'cam-1', '--config', bad, ...options()]);
      expect(run.code, run.output).toBe(1);
      expect(run.output).toMatch(new RegExp(`${device()} +FAILED .*the agent exited with code 78 and pm2 will not restart it: .*camera\\.fps.* \\(rolled back to ${good}, online again\\)`));
      expect(run.output).toContain('camera.fps');
      await status.seen('online', 10_000);
    } finally {
      await status.close();
    }
    expect(readlinkSync(current())).toBe(good);
    expect(readFileSync(join(dest, 'config.yaml'), 'utf8')).toBe(readFileSync(configFile, 'utf8'));
    expect((await pm2.list())[0].pm2_env.status).toBe('online');
    expect(await retainedStatus(broker.url, 'edge/cam-1/status')).toBe('online');
  }, 240_000);

  test('an unreachable host and a host without pm2 fail with messages that say so, and the run exits non-zero', async () => {
    const closedPort = await freePort();
    const inventory = join(work, 'broken-fleet.txt');
    writeFileSync(inventory, `${user}@127.0.0.1:${closedPort} gone-1\n${device()} no-pm2\n`);
    const other = join(work, 'other/opt/edge-agent');
    const run = await deploy(['--inventory', inventory, '--dest', other, '--ssh-opts', sshd.sshOpts, '--pm2', '/nonexistent/pm2', '--mqtt-url', broker.url]);

    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`cannot reach ${user}@127.0.0.1:${closedPort} over SSH: ssh: connect to host 127.0.0.1 port ${closedPort}: Connection refused`);
    expect(run.output).toContain(`${device()} is not ready (nothing was changed there): pm2 not found (ran: /nonexistent/pm2 ping): install it with: sudo npm install -g pm2`);
    expect(run.output).toContain('2 of 2 failed');
    expect(existsSync(join(work, 'other'))).toBe(false);
  }, 120_000);
});
