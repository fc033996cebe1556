import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Pm2 } from './pm2.js';
import { startSshd, type Sshd } from './sshd.js';

export interface Device {
  id: string;
  /** user@127.0.0.1:port, as scripts/deploy takes it. */
  host: string;
  sshd: Sshd;
  /** The device's own pm2 (its sshd sets PM2_HOME), so scripts/deploy runs plain `pm2`. */
  pm2: Pm2;
  /** Where the device's `dest` really is, seen from the test. */
  disk: string;
}

export interface Fleet {
  devices: Device[];
  /** The install directory, the same path on every device. */
  dest: string;
  /** ssh options with the fleet's one client key and every device's host key. */
  sshOpts: string;
  stop(): Promise<void>;
}

/**
 * Simulated devices, each a real sshd on 127.0.0.1 with its own pm2 and, in a mount
 * namespace of its own, its own `dest` (a folder under `work`), so that one machine can
 * play a fleet. Needs root (mount namespaces), as the deploy tests do.
 */
export async function startFleet(work: string, ids: string[]): Promise<Fleet> {
  const user = userInfo().username;
  const dest = join(work, 'device/opt/edge-agent');
  const devices: Device[] = [];
  const knownHosts: string[] = [];
  try {
    for (const id of ids) {
      const disk = join(work, `disk-${id}`);
      mkdirSync(disk, { recursive: true });
      const dir = join(work, `ssh-${id}`);
      mkdirSync(dir);
      const pm2 = new Pm2(join(work, `pm2-${id}`));
      const sshd = await startSshd(dir, { env: { PM2_HOME: pm2.home }, mounts: { [join(work, 'device')]: disk } });
      devices.push({ id, host: `${user}@127.0.0.1:${sshd.port}`, sshd, pm2, disk: join(disk, 'opt/edge-agent') });
      knownHosts.push(readFileSync(join(dir, 'known_hosts'), 'utf8'));
      // One client key for the whole fleet, as an operator has.
      writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(work, `ssh-${ids[0]}`, 'client_ed25519.pub')));
    }
  } catch (err) {
    for (const d of devices) await d.sshd.stop();
    throw err;
  }
  writeFileSync(join(work, 'known_hosts'), knownHosts.join(''));
  const sshOpts = [
    `-i ${join(work, `ssh-${ids[0]}`, 'client_ed25519')}`,
    '-o IdentitiesOnly=yes',
    `-o UserKnownHostsFile=${join(work, 'known_hosts')}`,
    '-o StrictHostKeyChecking=yes',
    '-o LogLevel=ERROR',
  ].join(' ');
  return {
    devices,
    dest,
    sshOpts,
    async stop() {
      // Each agent takes up to its kill_timeout to stop: all at once.
      await Promise.all(devices.map((d) => d.pm2.kill()));
      await Promise.all(devices.map((d) => d.sshd.stop()));
    },
  };
}
