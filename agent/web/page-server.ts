import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { installDir } from '../core/install-dir.js';
import { serveHttp } from '../core/http-server.js';
import type { AccessGuard } from './access.js';
import { SECURITY_HEADERS, sendText } from './http.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The pages' own files are shipped with the agent, not compiled: they run in the browser as they are.
const PUBLIC_DIR = join(installDir, 'agent', 'web', 'public');

// uPlot is served from the installed package: the devices are often offline, so no CDN.
const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

interface PageFile {
  body: Buffer;
  type: string;
}

/**
 * URL path -> file: a page at /, its own files, and what every page loads (styles, icon,
 * uPlot); nothing else is served. All of it is under 100 kB, so it is read once, at start
 * (a missing file stops the start, naming it), not on every request.
 */
async function loadPageFiles(page: string, own: string[]): Promise<Map<string, PageFile>> {
  const paths: [string, string][] = [
    ['/', join(PUBLIC_DIR, page)],
    ...[...own, 'common.css', 'favicon.svg'].map((name): [string, string] => [`/${name}`, join(PUBLIC_DIR, name)]),
    ['/vendor/uPlot.iife.min.js', join(uplotDir, 'uPlot.iife.min.js')],
    ['/vendor/uPlot.min.css', join(uplotDir, 'uPlot.min.css')],
  ];
  const loaded = await Promise.all(
    paths.map(async ([path, file]): Promise<[string, PageFile]> => [path, { body: await readFile(file), type: TYPES[extname(file)] ?? 'application/octet-stream' }]),
  );
  return new Map(loaded);
}

export interface PageServerOptions {
  /** Names the server in errors: web, fleet. */
  what: string;
  host: string;
  port: number;
  guard: AccessGuard;
  /** The page served at /, and its own files beside it in public/. */
  page: string;
  own: string[];
  /**
   * Answers a request that is not for one of the page's files: true when it did, a promise
   * when it is answering (a rejection becomes a 500), false to leave it to a 404.
   */
  route(req: IncomingMessage, res: ServerResponse, url: URL): boolean | Promise<void>;
  /** Told when a request failed inside the server (it got a 500) or a connection could not be accepted. */
  report(err: Error, context: string): void;
}

/** The request's URL, or null when it does not parse (GET http://[ reaches the handler as it is). */
function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://page');
  } catch {
    return null;
  }
}

/** What the device page and the fleet view share: the guard first, then the page's files, then the page's own routes. */
export async function startPageServer(o: PageServerOptions): Promise<Server> {
  const files = await loadPageFiles(o.page, o.own);
  return serveHttp({ what: o.what, host: o.host, port: o.port, report: o.report }, (req, res) => {
    const url = requestUrl(req);
    if (!url) return sendText(res, 400, 'the request URL does not parse');
    if (!o.guard.admit(req, res, url)) return;
    const file = req.method === 'GET' ? files.get(url.pathname) : undefined;
    if (file) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' });
      res.end(file.body);
      return;
    }
    const routed = o.route(req, res, url);
    if (routed === false) return sendText(res, 404, `not found: ${req.method} ${url.pathname}`);
    if (routed !== true) return routed;
  });
}
