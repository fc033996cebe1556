import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../support/mosquitto.js';

const sshdBinary = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  /** ssh options that log in with the test's key and trust only this server's host key. */
  sshOpts: string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /**
   * Variables of every session, set by sshd's ForceCommand after the login shell's start-up
   * files: a PATH plays a device whose tools are missing or too old, a PM2_HOME gives each
   * simulated device its own pm2.
   */
  env?: Record<string, string>;
  /**
   * Folders bind-mounted (target -> source) in a mount namespace of this server's own, so
   * that several simulated devices on one machine each have their own /opt/edge-agent (or
   * any path). Needs root.
   */
  mounts?: Record<string, string>;
}

/**
 * A real OpenSSH server on 127.0.0.1 with its own host key and an authorized_keys file in
 * `dir`, so that scripts/deploy runs over SSH exactly as it does against a Pi.
 */
export async function startSshd(dir: string, { env = {}, mounts = {} }: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(sshdBinary)) {
    throw new Error(`${sshdBinary} not found: the deploy tests need OpenSSH's server (apt-get install openssh-server rsync)`);
  }
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  for (const key of [hostKey, clientKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));

  const port = await freePort();
  writeFileSync(
    join(dir, 'known_hosts'),
    `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // The temporary directory is not root-only, which StrictModes would refuse.
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      ...(Object.keys(env).length > 0
        ? [`ForceCommand ${Object.entries(env).map(([k, v]) => `${k}='${v}'; export ${k}; `).join('')}eval "$SSH_ORIGINAL_COMMAND"`]
        : []),
      '',
    ].join('\n'),
  );
  // Debian's sshd refuses to start without its privilege separation directory, which only
  // the openssh-server service creates (CI runs as root, and no service runs).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const binds = Object.entries(mounts);
  for (const [target] of binds) mkdirSync(target, { recursive: true });
  const child: ChildProcess =
    binds.length === 0
      ? spawn(sshdBinary, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
        `${binds.map(([target, source]) => `mount --bind '${source}' '${target}' && `).join('')}exec ${sshdBinary} -D -e -f '${config}'`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort(port, 10_000),
      exited.then(() => Promise.reject(new Error(`sshd exited at start:\n${stderr}`))),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  const sshOpts = [
    `-i ${clientKey}`,
    '-o IdentitiesOnly=yes',
    `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o StrictHostKeyChecking=yes',
    '-o LogLevel=ERROR',
  ].join(' ');
  return {
    port,
    sshOpts,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd does not listen on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
