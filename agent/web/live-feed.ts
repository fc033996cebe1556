import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Frame } from '../camera/camera.js';
import { viewableImage } from '../camera/raw-image.js';
import type { AgentContext } from '../core/context.js';
import type { AgentEventMap } from '../core/events.js';
import { throttling, type Throttling } from '../telemetry/host.js';
import { deviceStatus, type DeviceProbes } from './device-status.js';
import { EventHub, MAX_UNSENT_BYTES } from './sse.js';

/** Status (fps, temperature, broker, outbox...) is sent this often while a browser looks. */
const STATUS_SECONDS = 2;
// Enough for a browser to fetch the frame it was told about while newer ones arrive.
const FRAMES_KEPT = 4;

export interface StoredFrame {
  data: Buffer;
  type: string;
}

/** A frame kept for the page; raw pixels are encoded to JPEG only when a browser asks for them. */
interface KeptFrame {
  frame: Frame;
}

function imageType(data: Buffer): string {
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return 'application/octet-stream';
}

type Classified = AgentEventMap['frame'][0];

/**
 * What the device page sees live: each classified frame (at most maxFrameRate per
 * second, the newest winning), as an event naming the frame's URL, and a status every
 * STATUS_SECONDS. All of it (the event listeners, the timers, the last few frames) exists
 * only while at least one browser is connected.
 */
export class LiveFeed {
  private readonly hub = new EventHub({
    first: () => this.attach(),
    last: () => this.detach(),
    dropped: () => this.ctx.log.warn({ unsentBytes: MAX_UNSENT_BYTES }, 'web: dropped a live view that could not keep up; the browser reconnects'),
  });
  private readonly frames = new Map<number, KeptFrame>();
  private pending: Classified | null = null;
  private frameTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private throttled: Throttling | null = null;

  constructor(private readonly ctx: AgentContext, private readonly probes: DeviceProbes, private readonly maxFrameRate: number) {}

  connect(req: IncomingMessage, res: ServerResponse): void {
    this.hub.connect(req, res, (send) => {
      send('hello', { device: this.ctx.deviceId, maxFrameRate: this.maxFrameRate, statusSeconds: STATUS_SECONDS, zones: this.ctx.config.objects.zones });
      deviceStatus(this.ctx, this.probes, this.throttled).then((s) => send('status', s), (err) => this.ctx.log.warn({ err }, 'web: status failed'));
    });
  }

  /** A frame recently sent to browsers, by its result's seq, as an image file. */
  async frame(seq: number): Promise<StoredFrame | undefined> {
    const kept = this.frames.get(seq);
    if (!kept) return undefined;
    const data = await viewableImage(kept.frame);
    return { data, type: imageType(data) };
  }

  close(): void {
    this.hub.closeAll();
  }

  private attach(): void {
    this.ctx.events.on('frame', this.onFrame);
    this.ctx.events.on('telemetry', this.onTelemetry);
    this.statusTimer = setInterval(() => this.sendStatus(), STATUS_SECONDS * 1000);
    // Telemetry brings throttling every telemetrySeconds; until then, ask once.
    throttling().then((t) => {
      if (this.hub.size > 0) this.throttled ??= t;
    }, () => {});
  }

  private detach(): void {
    this.ctx.events.off('frame', this.onFrame);
    this.ctx.events.off('telemetry', this.onTelemetry);
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.statusTimer = this.frameTimer = this.pending = null;
    this.throttled = null;
    this.frames.clear();
  }

  private readonly onFrame = (classified: Classified): void => {
    this.pending = classified;
    if (this.frameTimer) return;
    const wait = this.lastSent + 1000 / this.maxFrameRate - Date.now();
    if (wait <= 0) this.sendFrame();
    else this.frameTimer = setTimeout(() => this.sendFrame(), wait);
  };

  private readonly onTelemetry = (snapshot: Record<string, unknown>): void => {
    this.throttled = (snapshot.throttled as Throttling | null) ?? null;
  };

  private sendFrame(): void {
    this.frameTimer = null;
    const classified = this.pending;
    if (!classified) return;
    this.pending = null;
    this.lastSent = Date.now();
    const { frame, result } = classified;
    this.frames.set(result.seq, { frame });
    if (this.frames.size > FRAMES_KEPT) this.frames.delete(this.frames.keys().next().value!);
    this.hub.broadcast('frame', { ...result, frame: `frames/${result.seq}` });
  }

  private sendStatus(): void {
    deviceStatus(this.ctx, this.probes, this.throttled).then(
      (s) => this.hub.broadcast('status', s),
      (err) => this.ctx.log.warn({ err }, 'web: status failed'),
    );
  }
}
