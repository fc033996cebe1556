/** One device as the fleet view shows it, from its status, telemetry and result topics. */
export interface DeviceRow {
  id: string;
  /** From the retained status topic; null until one is seen. */
  online: boolean | null;
  /** ISO time of the last message about this device. */
  lastSeen: string;
  result: { seq: number; ts: string; source: string; label: string | null; score: number | null } | null;
  /** A detector's objects in view in its last result, counted per label; null for a classifier. */
  objects: Record<string, number> | null;
  fps: number | null;
  /** Capture to recorded result, p50 (telemetry). */
  latencyMs: number | null;
  /** Inference alone, p50 (telemetry). */
  inferenceMs: number | null;
  cpuTempC: number | null;
  /** Decoded throttling flags; null off a Raspberry Pi or before telemetry arrives. */
  throttled: string[] | null;
  outboxDepth: number | null;
  /** Telemetry's status: ok or degraded, with which part and why. */
  health: string | null;
  degraded: Record<string, string>;
  engine: string | null;
  model: string | null;
  /** The model file's sha256 (results and telemetry): the exact model, whatever its name. */
  modelSha256: string | null;
  /** The build it runs (telemetry's build): "0.1.0 (abc123def456)", the commit's first 12 digits. */
  version: string | null;
  /** Seconds since the agent started (telemetry). */
  uptimeSeconds: number | null;
  /** The last message that could not be read, e.g. telemetry that is not JSON. */
  problem: string | null;
}

type Json = Record<string, unknown>;

const KINDS = ['status', 'telemetry', 'result'];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

function parseJson(payload: Buffer): Json | null {
  try {
    const value = JSON.parse(payload.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
}

/**
 * The fleet as seen on <prefix>/+/status, <prefix>/+/telemetry and <prefix>/+/result
 * (the topics of README.md's MQTT contract). A message that cannot be read is noted on its device's row, never
 * thrown: one bad device must not blind the view of the others.
 */
export class FleetState {
  private readonly devices = new Map<string, DeviceRow>();

  constructor(private readonly prefix: string) {}

  get filters(): string[] {
    return KINDS.map((kind) => `${this.prefix}/+/${kind}`);
  }

  /** Applies one message; returns the device's row when the message was about a device. */
  apply(topic: string, payload: Buffer, now = new Date()): DeviceRow | null {
    if (!topic.startsWith(`${this.prefix}/`)) return null;
    const [id, kind, ...rest] = topic.slice(this.prefix.length + 1).split('/');
    if (!id || rest.length > 0 || !KINDS.includes(kind)) return null;
    const row = this.row(id);
    row.lastSeen = now.toISOString();
    if (kind === 'status') {
      const text = payload.toString('utf8').trim();
      row.online = text === 'online' ? true : text === 'offline' ? false : null;
      // An empty retained status is someone clearing it: unknown, not a problem.
      if (row.online === null && text !== '') row.problem = `status '${text.slice(0, 40)}' is neither online nor offline`;
      return row;
    }
    const json = parseJson(payload);
    if (!json) {
      row.problem = `${kind} at ${row.lastSeen} is not a JSON object`;
      return row;
    }
    if (kind === 'result') this.applyResult(row, json);
    else this.applyTelemetry(row, json);
    return row;
  }

  /** Removes the devices last heard from before `before`; returns their ids. */
  forget(before: Date): string[] {
    const gone = [...this.devices.values()].filter((row) => Date.parse(row.lastSeen) < before.getTime()).map((row) => row.id);
    for (const id of gone) this.devices.delete(id);
    return gone.sort();
  }

  rows(): DeviceRow[] {
    return [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  private row(id: string): DeviceRow {
    let row = this.devices.get(id);
    if (!row) {
      row = {
        id, online: null, lastSeen: '', result: null, objects: null, fps: null, latencyMs: null, inferenceMs: null, cpuTempC: null,
        throttled: null, outboxDepth: null, health: null, degraded: {}, engine: null, model: null, modelSha256: null, version: null, uptimeSeconds: null,
        problem: null,
      };
      this.devices.set(id, row);
    }
    return row;
  }

  private applyResult(row: DeviceRow, r: Json): void {
    const top = Array.isArray(r.top) ? obj(r.top[0]) : {};
    row.result = { seq: num(r.seq) ?? -1, ts: str(r.ts) ?? '', source: str(r.source) ?? '', label: str(top.label), score: num(top.score) };
    if (Array.isArray(r.objects)) {
      const counts: Record<string, number> = {};
      for (const o of r.objects) {
        const label = str(obj(o).label);
        if (label !== null) counts[label] = (counts[label] ?? 0) + 1;
      }
      row.objects = counts;
    } else {
      row.objects = null;
    }
    row.engine = str(r.engine) ?? row.engine;
    row.model = str(r.model) ?? row.model;
    row.modelSha256 = str(r.modelSha256) ?? row.modelSha256;
  }

  private applyTelemetry(row: DeviceRow, t: Json): void {
    row.fps = num(t.fps);
    row.latencyMs = num(obj(t.latencyMs).p50);
    row.inferenceMs = num(obj(t.inferenceMs).p50);
    row.cpuTempC = num(t.cpuTempC);
    const flags = obj(t.throttled).flags;
    row.throttled = Array.isArray(flags) ? flags.filter((f): f is string => typeof f === 'string') : null;
    row.outboxDepth = num(t.outboxDepth);
    row.health = str(t.status);
    row.degraded = Object.fromEntries(Object.entries(obj(t.degraded)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    row.engine = str(t.engine) ?? row.engine;
    row.model = str(t.model) ?? row.model;
    row.modelSha256 = str(t.modelSha256) ?? row.modelSha256;
    const build = obj(t.build);
    const version = str(build.version);
    const commit = str(build.commit);
    row.version = version && (commit ? `${version} (${commit.slice(0, 12)}${commit.includes('+dirty') ? '+dirty' : ''})` : version);
    row.uptimeSeconds = num(t.uptimeSeconds);
  }
}
