// ecosystem.config.js under a real pm2 (its own PM2_HOME) with the real agent and mosquitto:
// a bare `pm2 start` in a fresh copy of the repository finds it, pm2 waits for the agent's
// `ready`, and `pm2 stop` lets it say `offline` before kill_timeout.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyTrackedFiles } from '../support/fresh-copy.js';
import { Mosquitto } from '../support/mosquitto.js';
import { repoRoot } from '../support/paths.js';
import { Pm2 } from './pm2.js';
import { retainedStatus, watchStatus } from './status.js';

/** The app as pm2 reads it; the file throws when the configuration it names is missing. */
function ecosystemApp(configFile: string): { kill_timeout: number; listen_timeout: number } {
  const saved = process.env.EDGE_AGENT_CONFIG;
  process.env.EDGE_AGENT_CONFIG = configFile;
  try {
    return (createRequire(import.meta.url)('../../ecosystem.config.js') as { apps: Array<{ kill_timeout: number; listen_timeout: number }> }).apps[0];
  } finally {
    if (saved === undefined) delete process.env.EDGE_AGENT_CONFIG;
    else process.env.EDGE_AGENT_CONFIG = saved;
  }
}

describe('ecosystem.config.js', () => {
  let work: string;
  let broker: Mosquitto;
  let pm2: Pm2;
  let config: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'edge-agent-ecosystem-'));
    broker = await Mosquitto.start({ persistence: false });
    pm2 = new Pm2(join(work, 'pm2'));
    config = join(work, 'config.yaml');
    // A camera, or run refuses to start (exit 78): sample images are never a real camera's.
    writeFileSync(config, `device:\n  id: eco-test\nmqtt:\n  url: ${broker.url}\ndataDir: ${join(work, 'data')}\ncamera:\n  type: sim\n`);
  });

  afterAll(async () => {
    await pm2?.kill();
    await broker?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('pm2 starts the agent from it and sees it ready; pm2 stop lets the agent publish offline', async () => {
    const bus = await pm2.bus();
    const status = await watchStatus(broker.url, 'edge/eco-test/status');
    try {
      const start = await pm2.run(['start', 'ecosystem.config.js'], { EDGE_AGENT_CONFIG: config });
      expect(start.code, start.output).toBe(0);
      expect(bus.events).toContainEqual({ kind: 'msg', name: 'edge-agent', raw: 'ready' });

      const [app] = await pm2.list();
      expect(app.name).toBe('edge-agent');
      expect(app.pm2_env.status).toBe('online');
      expect(app.pm2_env.pm_exec_path).toBe(`${repoRoot}bin/edge-agent`);
      expect(app.pm2_env.args).toEqual(['run', '--config', config]);
      // What the fault suite's agents also run with (test/faults/support.ts).
      expect((app.pm2_env as unknown as Record<string, unknown>).MALLOC_ARENA_MAX).toBe('2');
      expect((app.pm2_env as unknown as Record<string, unknown>).NODE_OPTIONS).toBe('--max-old-space-size=128');
      await status.seen('online', 20_000);
      expect(await retainedStatus(broker.url, 'edge/eco-test/status')).toBe('online');

      const t0 = Date.now();
      const stop = await pm2.run(['stop', 'edge-agent']);
      const stopMs = Date.now() - t0;
      expect(stop.code, stop.output).toBe(0);
      // The agent exited by itself, well before pm2 would have sent SIGKILL.
      expect(stopMs).toBeLessThan(ecosystemApp(config).kill_timeout - 2000);
      expect(status.live).toEqual(['online', 'offline']);
      expect(await retainedStatus(broker.url, 'edge/eco-test/status')).toBe('offline');
      expect((await pm2.list())[0].pm2_env.status).toBe('stopped');
      // The variables meant for the ecosystem file never reach the agent (filter_env): it gets
      // what they say as arguments, and would warn that EDGE_AGENT_DIR names no configuration key.
      expect(readFileSync(app.pm2_env.pm_out_log_path, 'utf8')).not.toMatch(/EDGE_AGENT_CONFIG|names no configuration key/);
    } finally {
      await status.close();
      await bus.close();
    }
  }, 90_000);

  test('without a configuration file, pm2 start fails at once and names the file', async () => {
    const missing = join(work, 'missing.yaml');
    const start = await pm2.run(['start', 'ecosystem.config.js'], { EDGE_AGENT_CONFIG: missing });
    expect(start.code).not.toBe(0);
    expect(start.output).toContain(`no configuration file at ${missing}`);
  }, 30_000);

  test('a configuration error (exit 78) leaves the app stopped instead of restarting it', async () => {
    await pm2.run(['delete', 'all']);
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, `device:\n  id: eco-test\nmqtt:\n  url: ${broker.url}\ncamera:\n  fps: -1\n`);
    const t0 = Date.now();
    const start = await pm2.run(['start', 'ecosystem.config.js'], { EDGE_AGENT_CONFIG: bad });
    expect(start.code, start.output).toBe(0);
    // The agent exits by itself rather than waiting out listen_timeout.
    expect(Date.now() - t0).toBeLessThan(ecosystemApp(bad).listen_timeout);
    // Past the first backoff delay (0.5 s), when a restart would have happened.
    await new Promise((r) => setTimeout(r, 2000));
    const [app] = await pm2.list();
    expect(app.pm2_env.exit_code).toBe(78);
    expect(app.pm2_env.restart_time).toBe(0);
    expect(app.pid).toBe(0);
    expect(readFileSync(app.pm2_env.pm_err_log_path, 'utf8')).toContain('camera.fps');
  }, 60_000);

  // What a Pi user types: `pm2 start` with no file, in the directory they cloned. pm2 then
  // require()s ecosystem.config.js, which only works in a CommonJS package root.
  test('a bare pm2 start in a fresh copy of the repository starts the agent', async () => {
    await pm2.run(['delete', 'all']);
    const clone = join(work, 'clone');
    copyTrackedFiles(clone);
    // What npm ci would install, and the build it runs (npm run build, as package.json says).
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
    execFileSync('npm', ['run', 'build'], { cwd: clone, stdio: 'ignore' });
    const fresh = join(work, 'fresh.yaml');
    writeFileSync(fresh, `device:\n  id: eco-fresh\nmqtt:\n  url: ${broker.url}\ndataDir: ${join(work, 'data-fresh')}\ncamera:\n  type: sim\n`);
    const status = await watchStatus(broker.url, 'edge/eco-fresh/status');
    try {
      const start = await pm2.run(['start'], { EDGE_AGENT_CONFIG: fresh }, clone);
      expect(start.code, start.output).toBe(0);
      const [app] = await pm2.list();
      expect(app.pm2_env.status).toBe('online');
      expect(app.pm2_env.pm_exec_path).toBe(join(clone, 'bin/edge-agent'));
      await status.seen('online', 20_000);
      expect((await pm2.run(['stop', 'edge-agent'])).code).toBe(0);
      await status.seen('offline', 20_000);
    } finally {
      await status.close();
    }
  }, 180_000);
});
