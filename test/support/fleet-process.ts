import { spawn, type ChildProcess } from 'node:child_process';
import { cli } from './paths.js';

/** `edge-agent fleet` serving its page as a real child process, with its stderr kept for assertions. */
export class FleetProcess {
  stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts it and resolves once it says where its page is; rejects when it exits first. */
  static async start(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<FleetProcess> {
    const fleet = new FleetProcess(spawn(process.execPath, [cli, 'fleet', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        fleet.child.kill('SIGKILL');
        reject(new Error(`edge-agent fleet did not serve its page within ${timeoutMs} ms: ${fleet.stderr}`));
      }, timeoutMs);
      const onData = (): void => {
        if (!fleet.stderr.includes('the fleet page is at')) return;
        clearTimeout(timer);
        fleet.child.stderr!.off('data', onData);
        resolve();
      };
      fleet.child.stderr!.on('data', onData);
      void fleet.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`edge-agent fleet exited (code ${code}): ${fleet.stderr}`));
      });
    });
    return fleet;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    return this.exited.finally(() => clearTimeout(timer));
  }
}
