import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS, sendText } from './http.js';

export type Send = (event: string, data: unknown) => void;

/**
 * Streams open at once, per server. Each viewer of the device page also fetches every frame
 * (up to web.maxFrameRate a second), which is real work for a Pi; eight is more people than
 * ever watch one device or one fleet at a time, and a fixed number needs no setting.
 */
export const MAX_CLIENTS = 8;
/**
 * What a stream may have waiting for its browser (Node's buffer and the socket's) before the
 * browser is taken to have fallen behind for good and is dropped; it reconnects by itself
 * (after the retry time each stream starts with) and starts afresh. About a thousand status or frame events, or a fleet
 * table of a few thousand devices.
 */
export const MAX_UNSENT_BYTES = 1024 * 1024;

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The browsers connected by server-sent events. The owner's work (event listeners,
 * timers) is started by `first` when the first browser connects and ended by `last` when
 * the last one leaves, so that none of it runs while nobody is looking; `dropped` is told
 * of a browser dropped for falling behind.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();

  constructor(private readonly hooks: { first?(): void; last(): void; dropped(): void }) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the request as an event stream; `greet` sends what a new browser needs first. */
  connect(req: IncomingMessage, res: ServerResponse, greet: (send: Send) => void): void {
    if (this.clients.size >= MAX_CLIENTS) {
      sendText(res, 503, `${MAX_CLIENTS} live views of this page are open already; close one and reload`, { 'retry-after': '30' });
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Reverse proxies (nginx) would otherwise hold events back in their buffers.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    greet((event, data) => this.send(res, frame(event, data)));
    this.clients.add(res);
    if (this.clients.size === 1) this.hooks.first?.();
    const leave = (): void => {
      if (!this.clients.delete(res)) return;
      if (this.clients.size === 0) this.hooks.last();
    };
    req.once('close', leave);
    res.once('close', leave);
  }

  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const text = frame(event, data);
    for (const res of this.clients) this.send(res, text);
  }

  private send(res: ServerResponse, text: string): void {
    // The greeting may finish after the browser has gone; a closed stream is not written to.
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > MAX_UNSENT_BYTES) {
      res.destroy();
      this.hooks.dropped();
      return;
    }
    res.write(text);
  }

  /** Ends every stream (the server is stopping). */
  closeAll(): void {
    for (const res of [...this.clients]) res.end();
  }
}
