import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { SECURITY_HEADERS, sendText } from './http.js';

/** Whether an address or host name only reaches this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Token comparison in constant time: both sides are hashed first, so lengths neither leak nor throw. */
export function sameToken(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A cookie's value, decoded; one whose percent-encoding is broken is taken as sent, not thrown on. */
function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return null;
}

function hostName(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
}

export interface AccessOptions {
  /** Required on every request when set. */
  token: string | null;
  /** The server listens on loopback only. */
  loopback: boolean;
  /** The port, to name the cookie: cookies are per host, not per port. */
  port: number;
  /** Where the person at the browser finds the token, for the refusal page. */
  hint: string;
}

/**
 * Who may use a page server. Bound to loopback, it answers only to loopback host names, so
 * a web page elsewhere cannot reach it through DNS rebinding. With a token, each request
 * must carry it as `Authorization: Bearer <token>` or in the cookie that `?token=<token>`
 * sets; that login answers with a redirect to the same address without the token, so it
 * does not stay in the address bar or the history.
 */
export class AccessGuard {
  private readonly cookieName: string;

  constructor(private readonly options: AccessOptions) {
    if (options.token === '') throw new Error('an empty access token would admit an empty cookie; null means none');
    this.cookieName = `edge-agent-token-${options.port}`;
  }

  /** True when the request may go on; otherwise it has been answered (refused or redirected). */
  admit(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const { token, loopback, hint } = this.options;
    if (loopback && !isLoopback(hostName(req))) {
      sendText(res, 421, 'this page answers only to localhost, 127.0.0.1 or [::1]');
      return false;
    }
    if (token === null) return true;
    const offered = url.searchParams.get('token');
    if (offered !== null) {
      if (!sameToken(offered, token)) return this.refuse(res, 'wrong access token');
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${this.cookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Lax`,
        'cache-control': 'no-store',
      });
      res.end();
      return false;
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
    const presented = bearer ?? cookie(req, this.cookieName);
    if (presented !== null && sameToken(presented, token)) return true;
    return this.refuse(res, presented === null ? `an access token is required: ${hint}` : 'wrong access token');
  }

  private refuse(res: ServerResponse, why: string): false {
    sendText(res, 401, why, { 'www-authenticate': 'Bearer realm="edge-agent"' });
    return false;
  }
}
