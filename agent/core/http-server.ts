import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from './listen.js';

// Browsers and scrapers send their request line and headers (a few hundred bytes) at once,
// and a command body is at most 16 kB: a client still sending after these times is
// dribbling bytes on purpose (slow loris) or has gone silent. It gets a 408 and is cut off
// rather than holding a socket and its buffers for Node's defaults of one and five minutes.
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
// How often those timeouts are checked: Node's 30 s default would let a slow client stay three times as long.
const TIMEOUT_CHECK_MS = 1_000;
// Request line and headers, cookies included; more is answered 431.
const MAX_HEADER_BYTES = 16 * 1024;
// A request flood that keeps failing the same way (a bug in a handler, no file descriptors
// left to accept with) must not flood the log as well.
const REPORT_INTERVAL_MS = 10_000;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  /** Names the server in reports and in the error when it cannot listen: web, fleet, metrics. */
  what: string;
  host: string;
  port: number;
  /**
   * Told, at most once per 10 s, when a handler threw or rejected (that request got a 500,
   * or its socket was closed when the answer had begun) or the server failed to accept a
   * connection. Neither stops the server.
   */
  report(err: Error, context: string): void;
}

/** The path of a request without its query, which may carry an access token, for reports. */
const pathOf = (req: IncomingMessage): string => (req.url ?? '').split('?')[0].slice(0, 200);

/**
 * An HTTP server that no request can take down, listening on host:port. Node answers what it
 * cannot parse itself (400), oversized headers (431) and clients too slow (408), and closes
 * the socket; whatever goes wrong inside the handler becomes a 500 and a report, never an
 * exception that ends the process.
 */
export async function serveHttp(o: HttpServerOptions, handler: RequestHandler): Promise<Server> {
  let quietUntil = 0;
  let unreported = 0;
  const report = (err: unknown, context: string): void => {
    const now = Date.now();
    if (now < quietUntil) {
      unreported++;
      return;
    }
    quietUntil = now + REPORT_INTERVAL_MS;
    const more = unreported > 0 ? ` (and ${unreported} more since the last report)` : '';
    unreported = 0;
    o.report(err instanceof Error ? err : new Error(String(err)), `${o.what}: ${context}${more}`);
  };
  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS, maxHeaderSize: MAX_HEADER_BYTES },
    (req, res) => {
      // A write to a client that has gone is not an error of this server; unheard, it would end the process.
      res.on('error', () => {});
      const failed = (err: unknown): void => {
        report(err, `${req.method} ${pathOf(req)} failed`);
        if (res.headersSent || res.destroyed) res.destroy();
        else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('internal error\n');
      };
      try {
        handler(req, res)?.catch(failed);
      } catch (err) {
        failed(err);
      }
    },
  );
  await listen(server, o.host, o.port, o.what);
  // After listening: until then an error (the port in use) is listen's to reject with.
  server.on('error', (err) => report(err, 'accepting a connection failed'));
  return server;
}

/** Stops accepting connections and ends the open ones (keep-alive sockets, event streams, slow clients). */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
