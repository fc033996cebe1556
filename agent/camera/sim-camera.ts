import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CameraError, type Camera, type Frame } from './camera.js';
import { FAULTS_FILE, readFault } from './sim-faults.js';

const IMAGE = /\.(jpe?g|png)$/i;

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder (gone?)';
  return (err as Error).message;
}

/**
 * A simulated camera: the JPEG and PNG files of a folder in sorted file-name order,
 * looping, each frame's source being its file name. It paces nothing: the pipeline asks at
 * its fps, and a soak test asks as fast as it can. Faults come from the folder's .faults
 * file (see sim-faults.ts); a folder that is renamed away fails captures until it returns.
 */
export class SimCamera implements Camera {
  readonly name: string;
  /** The sorted listing, re-read after every loop and after any failure. */
  private names: string[] | null = null;
  private last: string | null = null;
  private closed = false;
  private readonly stalled = new Set<(err: CameraError) => void>();

  constructor(private readonly dir: string) {
    this.name = `sim:${dir}`;
  }

  async capture(): Promise<Frame> {
    if (this.closed) throw new CameraError(`${this.name}: the camera is closed`);
    const started = performance.now();
    const fault = await readFault(this.dir);
    if (fault === 'error') throw new CameraError(`${this.name}: simulated capture error (${FAULTS_FILE} says error)`);
    if (fault === 'stall') return this.stall();
    const name = await this.nextName();
    let data: Buffer;
    try {
      data = await readFile(join(this.dir, name));
    } catch (err) {
      this.names = null;
      throw new CameraError(`${join(this.dir, name)}: ${reason(err)}`, { cause: err });
    }
    this.last = name;
    if (fault === 'corrupt') data = data.subarray(0, data.length >> 1);
    return { data, source: name, capturedAt: Date.now(), captureMs: performance.now() - started };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const reject of this.stalled) reject(new CameraError(`${this.name}: the camera was closed during a stalled capture`));
    this.stalled.clear();
  }

  private stall(): Promise<Frame> {
    return new Promise((_, reject) => this.stalled.add(reject));
  }

  /** The first name after the last one served; re-listing at the wrap picks up new files. */
  private async nextName(): Promise<string> {
    const names = this.names ?? (await this.list());
    const last = this.last;
    const next = last === null ? undefined : names.find((n) => n > last);
    return next ?? (last === null ? names[0] : (await this.list())[0]);
  }

  private async list(): Promise<string[]> {
    this.names = null;
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (err) {
      throw new CameraError(`${this.dir}: ${reason(err)}`, { cause: err });
    }
    const names = entries.filter((n) => IMAGE.test(n)).sort();
    if (names.length === 0) throw new CameraError(`${this.dir}: no JPEG or PNG files to serve`);
    this.names = names;
    return names;
  }
}
