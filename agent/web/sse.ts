import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './http.js';

export type Send = (event: string, data: unknown) => void;

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * The browsers connected by server-sent events. The owner's work (event listeners,
 * timers) is started by `first` when the first browser connects and ended by `last` when
 * the last one leaves, so that none of it runs while nobody is looking.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();

  constructor(private readonly hooks: { first?(): void; last(): void }) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the request as an event stream; `greet` sends what a new browser needs first. */
  connect(req: IncomingMessage, res: ServerResponse, greet: (send: Send) => void): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Reverse proxies (nginx) would otherwise hold events back in their buffers.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    // The greeting may finish after the browser has gone; a closed stream is not written to.
    greet((event, data) => void (res.destroyed || res.writableEnded || res.write(frame(event, data))));
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
    for (const res of this.clients) res.write(text);
  }

  /** Ends every stream (the server is stopping). */
  closeAll(): void {
    for (const res of [...this.clients]) res.end();
  }
}
