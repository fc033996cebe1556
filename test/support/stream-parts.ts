// Real parts for the stream tests, all on loopback: ffmpeg's test pattern, an RTSP server
// (Debian's rtsp-server-perl) with ffmpeg publishing H.264 to it, an HTTP MJPEG server,
// and the process table to look for what a stopped camera left behind.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from '../../agent/camera/stream/find-program.js';
import { freePort } from './mosquitto.js';
import { repoRoot } from './paths.js';

/** The stand-in rpicam-vid and libcamera-vid, to put first on PATH. */
export const streamBin = join(repoRoot, 'test/fixtures/camera/stream-bin');

/** Why the given programs cannot be used, or null when they are all installed. */
export function missingPrograms(...names: string[]): string | null {
  const missing = names.filter((n) => findProgram([n]) === null);
  return missing.length === 0 ? null : `${missing.join(', ')} (apt-get install ${missing.map((n) => (n === 'rtsp-server-perl' ? n : 'ffmpeg')).join(' ')})`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` (which may be async) until it gives a truthy value, and resolves with it. */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function whenListening(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}`);
    await sleep(100);
  }
}

/** Ends a child started here and waits for it. */
async function end(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * rtsp-server-perl on two free ports, with ffmpeg publishing testsrc2 (1280x720, 25 fps,
 * H.264) to it. The server relays RTP over UDP only; clients read `url`.
 */
export class RtspServer {
  private publisher: ChildProcess | null = null;

  private constructor(private readonly server: ChildProcess, readonly sourcePort: number, readonly clientPort: number) {}

  get url(): string {
    return `rtsp://127.0.0.1:${this.clientPort}/cam`;
  }

  static async start(): Promise<RtspServer> {
    const [sourcePort, clientPort, rtpPort] = [await freePort(), await freePort(), await freePort()];
    const server = spawn('rtsp-server-perl', [
      '-s', String(sourcePort), '-c', String(clientPort),
      '--source_listen_address', '127.0.0.1', '--client_listen_address', '127.0.0.1',
      '--rtp_start_port', String(rtpPort),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const rtsp = new RtspServer(server, sourcePort, clientPort);
    await whenListening(clientPort, 'rtsp-server-perl');
    return rtsp;
  }

  /** Starts ffmpeg publishing the test pattern; resolves once it streams. */
  async publish(): Promise<void> {
    this.publisher = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25',
      '-f', 'rtsp', `rtsp://127.0.0.1:${this.sourcePort}/cam`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    await sleep(1000);
  }

  async stop(): Promise<void> {
    await end(this.publisher);
    await end(this.server);
  }
}

export interface MjpegServerOptions {
  /** Every nth part carries these bytes before its JPEG. */
  garbage?: { every: number; bytes: Buffer };
  /** Every nth part is a JPEG cut to half its length. */
  cutEvery?: number;
}

/**
 * An HTTP MJPEG camera as ESP32-CAM and mjpg-streamer serve one: multipart/x-mixed-replace,
 * one JPEG per part, at 25 fps. The frames are ffmpeg's testsrc2 at 1280x720, made once.
 * Garbage and cut frames go inside the parts, where a multipart demuxer passes them on.
 */
export class MjpegHttpServer {
  readonly sent = { parts: 0, garbageBytes: 0, cutFrames: 0, cutBytes: 0 };
  private readonly responses = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly server: Server, readonly port: number, private readonly frames: Buffer[], private readonly options: MjpegServerOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/stream`;
  }

  /** The test pattern's frames as JPEGs (made with ffmpeg, 50 frames). */
  static frames(): Buffer[] {
    const dir = mkdtempSync(join(tmpdir(), 'edge-agent-mjpeg-'));
    try {
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-frames:v', '50', '-q:v', '5', join(dir, 'f%03d.jpg')]);
      return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  static async start(frames: Buffer[], options: MjpegServerOptions = {}, port?: number): Promise<MjpegHttpServer> {
    const listenPort = port ?? (await freePort());
    const server = createServer();
    const mjpeg = new MjpegHttpServer(server, listenPort, frames, options);
    server.on('request', (req, res) => mjpeg.serve(res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    mjpeg.timer = setInterval(() => mjpeg.tick(), 40);
    return mjpeg;
  }

  private serve(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame', 'cache-control': 'no-store' });
    this.responses.add(res);
    this.connections++;
    res.on('close', () => this.responses.delete(res));
  }

  private tick(): void {
    if (this.responses.size === 0) return;
    const n = this.sent.parts++;
    let body = this.frames[n % this.frames.length];
    const { garbage, cutEvery } = this.options;
    if (cutEvery && n % cutEvery === cutEvery - 1) {
      body = body.subarray(0, body.length >> 1);
      this.sent.cutFrames++;
      this.sent.cutBytes += body.length;
    } else if (garbage && n % garbage.every === garbage.every - 1) {
      body = Buffer.concat([garbage.bytes, body]);
      this.sent.garbageBytes += garbage.bytes.length;
    }
    const head = Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${body.length}\r\n\r\n`);
    for (const res of this.responses) res.write(Buffer.concat([head, body, Buffer.from('\r\n')]));
  }

  /** Stops sending parts; connections stay open. */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  resume(): void {
    this.timer ??= setInterval(() => this.tick(), 40);
  }

  /** Connections served so far. */
  connections = 0;

  async stop(): Promise<void> {
    this.pause();
    for (const res of this.responses) res.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The processes (pid, process group, command) of the given process groups that are still alive. */
export function processesInGroups(groups: number[]): string[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => {
      const [pid, pgid, stat] = l.split(/\s+/);
      return pid !== undefined && groups.includes(Number(pgid)) && !stat?.startsWith('Z');
    });
}
