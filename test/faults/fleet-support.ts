// What items 7-10 of the fault suite share: the shipped broker configuration
// (config/mosquitto) run for real with only paths, ports and secrets replaced, agent
// configuration files for those brokers, and readings of other processes from /proc.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Mosquitto, freePort, passwordLine, type TestPki } from '../support/mosquitto.js';
import { imagesDir, repoRoot } from '../support/paths.js';
import { objectDiscoveryMessages } from '../../agent/mqtt/discovery.js';
import { deviceTopics } from '../../agent/mqtt/topics.js';

export const shippedDir = join(repoRoot, 'config/mosquitto');

/**
 * A shipped file with each `from` replaced by its `to`. Every `from` must occur: if the
 * shipped file changes so that a replacement no longer applies, the test fails here
 * instead of silently running a configuration nobody ships.
 */
export function shippedFile(name: string, replacements: [from: string, to: string][]): string[] {
  let text = readFileSync(join(shippedDir, name), 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`config/mosquitto/${name} no longer contains ${JSON.stringify(from)}; update the test's replacements`);
    text = text.split(from).join(to);
  }
  return text.split('\n');
}

/**
 * The persistence settings of the shipped mosquitto.conf (autosave_*), as lines to give a
 * test broker after its own, so that the loss measured through a broker kill is that of
 * what is shipped; `setting` is how they read, for the figures.
 */
export function shippedPersistence(): { lines: string[]; setting: string } {
  const lines = shippedFile('mosquitto.conf', []).filter((line) => /^autosave_/.test(line));
  if (lines.length === 0) throw new Error('config/mosquitto/mosquitto.conf sets no autosave_interval: update the tests that measure it');
  return { lines, setting: lines.join(', ') };
}

export interface ShippedBroker {
  broker: Mosquitto;
  port: number;
  url: string;
}

export interface ShippedBrokerOptions {
  pki: TestPki;
  /** user -> password, written into a password file as mosquitto_passwd would. */
  users: Record<string, string>;
  /** Folder for the password file and the persistence database. */
  dir: string;
  /** More shipped lines, e.g. config/mosquitto/bridge.conf with its replacements. */
  extra?: string[];
}

/** mosquitto running config/mosquitto/mosquitto.conf and its acl (the file itself, unchanged). */
export async function startShippedBroker(o: ShippedBrokerOptions): Promise<ShippedBroker> {
  const port = await freePort();
  const passwords = join(o.dir, 'passwd');
  writeFileSync(passwords, Object.entries(o.users).map(([u, p]) => passwordLine(u, p)).join('\n') + '\n', { mode: 0o600 });
  const lines = shippedFile('mosquitto.conf', [
    ['/etc/mosquitto/passwd', passwords],
    ['/etc/mosquitto/acl', join(shippedDir, 'acl')],
    ['listener 8883', `listener ${port} 127.0.0.1`],
    ['/etc/mosquitto/certs/ca.crt', o.pki.ca],
    ['/etc/mosquitto/certs/server.crt', o.pki.server.cert],
    ['/etc/mosquitto/certs/server.key', o.pki.server.key],
    // The harness learns that mosquitto is up from its stderr.
    ['log_dest syslog', 'log_dest stderr'],
  ]);
  // The harness's own listener, password and persistence settings are all off; what it
  // still writes (log to stderr, user root under root) comes before, and the shipped
  // lines after it decide. The persistence folder is the main file's to set, as Debian's does.
  const broker = await Mosquitto.start({
    listeners: [],
    persistence: false,
    allowAnonymous: false,
    extraConfig: [`persistence_location ${o.dir}/`, ...lines, ...(o.extra ?? [])],
  });
  return { broker, port, url: `mqtts://127.0.0.1:${port}` };
}

/**
 * What a detector's agent publishes besides status, results and telemetry, named as the
 * agent names them: its events, retained counts for a label and a zone's label, a label's
 * snapshot, and the object discovery for them.
 */
export function detectorTopics(device: string): string[] {
  const topics = deviceTopics('edge', device);
  const discovery = objectDiscoveryMessages({ prefix: 'homeassistant', deviceId: device, topics, swVersion: '0.1.0', telemetrySeconds: 1 }, ['person', 'driveway/person']);
  return [topics.events, `${topics.base}/person`, `${topics.base}/driveway/person`, `${topics.base}/person/snapshot`, ...discovery.map((m) => m.topic)];
}

/** A password for a test user, new each run. */
export const secret = (user: string): string => `${user}-${Math.random().toString(36).slice(2)}`;

/** mqtt.js options of a client that logs in as `user` with its certificate from the test PKI. */
export function clientTls(pki: TestPki, user: string, password: string, certificateOf = user): Record<string, unknown> {
  const files = pki.clients[certificateOf];
  return {
    ca: [readFileSync(pki.ca)],
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    username: user,
    password,
    rejectUnauthorized: true,
  };
}

/** The mqtt section of an agent configuration for a shipped broker: its certificate and password. */
export function agentMqttYaml(url: string, pki: TestPki, device: string, password: string): string {
  const files = pki.clients[device];
  return [
    'mqtt:',
    `  url: ${url}`,
    `  username: ${device}`,
    `  password: ${JSON.stringify(password)}`,
    '  telemetrySeconds: 1',
    '  reconnectSeconds: 0.2',
    '  tls:',
    `    ca: ${pki.ca}`,
    `    cert: ${files.cert}`,
    `    key: ${files.key}`,
  ].join('\n');
}

// ---- Other processes, from /proc (Linux) ----

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return Number(m[1]) * 1024;
}

/** Open file descriptors, by kind: socket, pipe, anon_inode:[eventfd], /dev/null, a file path... */
export function openFds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/:\[\d+\]$/, '');
    } catch {
      return 'closed';
    }
  });
}

let clockTicks: number | null = null;
const ticksPerSecond = (): number => (clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** CPU seconds the whole machine has been busy (all cores, all processes), from /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3] - ticks[4];
  return busy / ticksPerSecond();
}

/** TCP ports the process listens on (IPv4 and IPv6), from its socket inodes. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]] : [];
      } catch {
        return [];
      }
    }),
  );
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // st 0A is LISTEN; f[9] is the socket's inode.
      if (f[3] === '0A' && inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The shipped images at the 128x128 input of mobilenet_v1_0.25_128 as PNG, so the
 * load tests spend their CPU on agents and the broker, not on JPEG decoding and resizing.
 */
export async function writeSmallImages(dir: string): Promise<void> {
  mkdirSync(dir);
  for (const name of readdirSync(imagesDir)) {
    await sharp(join(imagesDir, name)).resize(128, 128, { fit: 'fill' }).png().toFile(join(dir, name.replace(/\.\w+$/, '.png')));
  }
}
