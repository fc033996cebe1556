// A real mosquitto for tests: started on free loopback ports with a generated config in a
// temporary folder, stopped (SIGTERM), killed (SIGKILL) and restarted on the same ports
// and persistence file. Also: a test PKI made with openssl, and password-file lines.
//
// mosquitto must be installed (Debian/Ubuntu: apt-get install mosquitto). When it is not,
// start() throws: a suite that needs a broker must fail loudly, never skip silently.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const running = new Set<ChildProcess>();
// A test process that dies with brokers running must not leave them behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The mosquitto binary: $MOSQUITTO if set, else /usr/sbin/mosquitto or one on PATH. Throws with an install hint. */
export function mosquittoBinary(env: NodeJS.ProcessEnv = process.env): string {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (env.MOSQUITTO) {
    if (executable(env.MOSQUITTO)) return env.MOSQUITTO;
    throw new Error(`MOSQUITTO=${env.MOSQUITTO} is not an executable file`);
  }
  const candidates = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'mosquitto'))];
  const found = candidates.find(executable);
  if (found) return found;
  throw new Error(
    'mosquitto is not installed: the MQTT tests need a real broker. ' +
      'Install it (Debian/Ubuntu: sudo apt-get install mosquitto; macOS: brew install mosquitto) or set MOSQUITTO=/path/to/mosquitto.',
  );
}

/** A free TCP port on 127.0.0.1 (free when asked; mosquitto binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Resolves when a mosquitto has written mosquitto.db in `dir` after this call. Exported for
 * brokers that persist elsewhere than their harness folder (the shipped configuration does).
 */
export function persistenceSaved(dir: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dir, (_event, file) => {
      if (file === 'mosquitto.db') done(null);
    });
    const timer = setTimeout(() => done(new Error(`mosquitto did not save ${dir}/mosquitto.db within ${timeoutMs} ms`)), timeoutMs);
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve();
    };
  });
}

/** A password-file line mosquitto 2 accepts: PBKDF2-SHA512 ($7$), as mosquitto_passwd writes. */
export function passwordLine(user: string, password: string): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `${user}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export interface TlsFiles {
  /** CA certificate file. */
  ca: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  /** Server certificate for localhost and 127.0.0.1. */
  server: TlsFiles;
  /** Client certificates by common name. */
  clients: Record<string, TlsFiles>;
}

/**
 * A throwaway CA with a server certificate (CN localhost, SAN DNS:localhost, IP:127.0.0.1)
 * and one client certificate per name (CN = the name), EC P-256, valid for two days.
 */
export function createTestPki(dir: string, clientNames: string[] = []): TestPki {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=edge-agent test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const sign = (name: string, extensions: string): TlsFiles => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    return { ca: join(dir, 'ca.crt'), cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  const server = sign('localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const clients = Object.fromEntries(clientNames.map((n) => [n, sign(n, 'extendedKeyUsage=clientAuth\n')]));
  return { dir, ca: join(dir, 'ca.crt'), server, clients };
}

export interface ListenerOptions {
  /** Default: a free port. */
  port?: number;
  /** TLS with these files (ca verifies client certificates). */
  tls?: TlsFiles & { requireCertificate?: boolean; useIdentityAsUsername?: boolean };
}

export interface MosquittoOptions {
  /** Default: one plain listener on a free port. */
  listeners?: ListenerOptions[];
  /** user -> password; with passwords, anonymous clients are refused unless allowAnonymous. */
  passwords?: Record<string, string>;
  allowAnonymous?: boolean;
  /** ACL file contents (mosquitto acl_file syntax). */
  acl?: string;
  /**
   * Persistence (default on), autosave_interval 1 (mosquitto 2.0 saves every 2 s): sessions
   * of durable subscribers and their queued messages survive stop() and, once saved
   * (waitForSave), kill().
   */
  persistence?: boolean;
  /** More configuration lines, e.g. a bridge section. */
  extraConfig?: string[];
}

const STARTED = /mosquitto version \S+ running/;

/** A mosquitto process (and its temporary folder) under a test's control. */
export class Mosquitto {
  private child: ChildProcess | null = null;
  private log = '';
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly ports: number[],
    private readonly tls: boolean[],
    private readonly configFile: string,
  ) {}

  /** Starts mosquitto and resolves once it listens; throws (with its output) if it does not. */
  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const binary = mosquittoBinary();
    const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
    const listeners = options.listeners ?? [{}];
    const ports = await Promise.all(listeners.map(async (l) => l.port ?? (await freePort())));
    const lines: string[] = [
      '# generated by test/support/mosquitto.ts',
      'per_listener_settings false',
      // Running as root (CI containers), mosquitto would otherwise switch to a user that cannot write here.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'log_timestamp_format %H:%M:%S',
      'max_queued_messages 100000',
    ];
    if (options.persistence ?? true) {
      lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
    }
    const hasPasswords = options.passwords !== undefined;
    if (hasPasswords) {
      writeFileSync(join(dir, 'passwords'), Object.entries(options.passwords!).map(([u, p]) => passwordLine(u, p)).join('\n') + '\n', { mode: 0o600 });
      lines.push(`password_file ${join(dir, 'passwords')}`);
    }
    lines.push(`allow_anonymous ${options.allowAnonymous ?? !hasPasswords}`);
    if (options.acl !== undefined) {
      writeFileSync(join(dir, 'acl'), options.acl, { mode: 0o600 });
      lines.push(`acl_file ${join(dir, 'acl')}`);
    }
    listeners.forEach((listener, i) => {
      lines.push('', `listener ${ports[i]} 127.0.0.1`);
      if (listener.tls) {
        lines.push(`cafile ${listener.tls.ca}`, `certfile ${listener.tls.cert}`, `keyfile ${listener.tls.key}`);
        lines.push(`require_certificate ${listener.tls.requireCertificate ?? false}`);
        lines.push(`use_identity_as_username ${listener.tls.useIdentityAsUsername ?? false}`);
      }
    });
    if (options.extraConfig) lines.push('', ...options.extraConfig);
    const configFile = join(dir, 'mosquitto.conf');
    writeFileSync(configFile, lines.join('\n') + '\n');
    const broker = new Mosquitto(dir, ports, listeners.map((l) => Boolean(l.tls)), configFile);
    await broker.launch(binary);
    return broker;
  }

  get port(): number {
    return this.ports[0];
  }

  /** URL of the first listener (mqtts:// when it has TLS). */
  get url(): string {
    return this.urlOf(0);
  }

  urlOf(listener: number): string {
    return `${this.tls[listener] ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.ports[listener]}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== null;
  }

  /** Everything mosquitto logged, across restarts. */
  output(): string {
    return this.log;
  }

  /** Resolves when mosquitto logs a line matching `pattern` after this call. */
  waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const from = this.log.length;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.log.slice(from).split('\n').find((l) => pattern.test(l));
        if (line === undefined) return false;
        cleanup();
        resolve(line);
        return true;
      };
      const onData = (): void => void check();
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`mosquitto did not log ${pattern} within ${timeoutMs} ms; its output:\n${this.log.slice(-4000)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child?.stderr?.off('data', onData);
      };
      this.child?.stderr?.on('data', onData);
    });
  }

  /** Resolves when the persistence file has been written after this call (every 2 s with the default persistence). */
  waitForSave(timeoutMs = 10_000): Promise<void> {
    return persistenceSaved(this.dir, timeoutMs);
  }

  /** SIGTERM: mosquitto saves its persistence and closes connections (wills are not sent for a clean shutdown). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: the broker dies mid-stream; only what it last autosaved survives. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Starts mosquitto again with the same configuration, ports and persistence file. */
  async restart(): Promise<void> {
    if (this.child) throw new Error(`mosquitto (pid ${this.child.pid}) is still running; stop() or kill() it first`);
    await this.launch(mosquittoBinary());
  }

  /** Stops mosquitto if it runs and removes its folder. */
  async cleanup(): Promise<void> {
    await this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(binary: string): Promise<void> {
    const child = spawn(binary, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => (this.log += s));
    child.stderr!.on('data', (s: string) => (this.log += s));
    const from = this.log.length;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        running.delete(child);
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (): void => {
        if (STARTED.test(this.log.slice(from))) finish(null);
      };
      const onExit = (code: number | null): void =>
        finish(new Error(`mosquitto exited (code ${code}) before it listened on ${this.ports.join(', ')}; config ${this.configFile}; output:\n${this.log.slice(from)}`));
      const onError = (err: Error): void => finish(new Error(`cannot run ${binary}: ${err.message}`));
      const timer = setTimeout(() => finish(new Error(`mosquitto did not start within 10 s; output:\n${this.log.slice(from)}`)), 10_000);
      const finish = (err: Error | null): void => {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        if (err) {
          child.kill('SIGKILL');
          reject(err);
        } else resolve();
      };
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
  }
}
