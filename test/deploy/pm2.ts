import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from '../support/paths.js';

export const pm2Cli = `${repoRoot}node_modules/.bin/pm2`;

export interface Pm2Result {
  code: number;
  output: string;
}

export interface Pm2Process {
  name: string;
  pid: number;
  pm2_env: {
    status: string;
    pm_exec_path: string;
    pm_cwd: string;
    args: string[];
    wait_ready: boolean;
    restart_time: number;
    unstable_restarts: number;
    exit_code?: number;
    pm_out_log_path: string;
    pm_err_log_path: string;
  };
}

export interface BusEvent {
  kind: 'msg' | 'event';
  name?: string;
  raw?: unknown;
  event?: string;
}

/** pm2 with its own PM2_HOME, so tests never touch a developer's pm2 or each other's. */
export class Pm2 {
  constructor(readonly home: string) {}

  /** The --pm2 command for scripts/deploy: this pm2 with this PM2_HOME, run on the "device". */
  get deployCommand(): string {
    return `env PM2_HOME=${this.home} ${pm2Cli}`;
  }

  run(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Promise<Pm2Result> {
    return new Promise((resolve) => {
      execFile(pm2Cli, args, { cwd, env: { ...process.env, ...env, PM2_HOME: this.home }, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr });
      });
    });
  }

  async list(): Promise<Pm2Process[]> {
    const { code, output } = await this.run(['jlist']);
    if (code !== 0) throw new Error(`pm2 jlist failed:\n${output}`);
    // A first call that starts the daemon prints a banner before the JSON line.
    const json = output.split('\n').reverse().find((line) => line.startsWith('['));
    if (json === undefined) throw new Error(`pm2 jlist printed no list:\n${output}`);
    return JSON.parse(json) as Pm2Process[];
  }

  /** Listens to the daemon's bus (starting the daemon if needed) until close(). */
  async bus(): Promise<{ events: BusEvent[]; close(): Promise<void> }> {
    const child = spawn(process.execPath, [`${repoRoot}test/deploy/pm2-bus.cjs`], {
      cwd: repoRoot,
      env: { ...process.env, PM2_HOME: this.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const events: BusEvent[] = [];
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the pm2 bus did not connect within 20 s')), 20_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const event = JSON.parse(line) as BusEvent | { kind: 'connected' };
        if (event.kind === 'connected') {
          clearTimeout(timer);
          resolve();
        } else events.push(event);
      });
      void exited.then(() => reject(new Error('the pm2 bus watcher exited')));
    });
    return {
      events,
      async close() {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  /** Stops every app (SIGINT, as pm2 always does) and the daemon. */
  async kill(): Promise<void> {
    await this.run(['kill']);
  }
}
