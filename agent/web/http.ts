import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Headers for every answer: pages load only their own scripts and images (frames arrive as
 * blob: URLs), may not be framed by another site, and never send their URL (which may
 * have carried a token) to anyone as a referrer.
 */
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text.endsWith('\n') ? text : `${text}\n`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A request body over the limit: answer 413 with `connection: close`, the rest is not read. */
export class BodyTooLarge extends Error {}

/**
 * The request body as text. Rejects with BodyTooLarge as soon as the body is known to be
 * over `limit` bytes (from its Content-Length, or once that much has arrived), and with a
 * plain Error when the client went away before sending all of it (there is nobody to answer).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => reject(new BodyTooLarge(`request body over the ${limit}-byte limit`));
    // Node has already refused a Content-Length that is not a number.
    if (Number(req.headers['content-length'] ?? 0) > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData).pause();
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before the whole body arrived'));
    });
  });
}

/** How a browser reaches host:port; an unspecified address is shown as loopback, which works from the device itself. */
export function pageUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}
