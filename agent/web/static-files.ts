import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { installDir } from '../install-dir.js';
import { SECURITY_HEADERS, sendText } from './http.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The pages' own files, shipped with the agent (not compiled: they run in the browser as they are). */
export const PUBLIC_DIR = join(installDir, 'agent', 'web', 'public');

// uPlot is served from the installed package: the devices are often offline, so no CDN.
const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/** URL path -> file: a page at /, its own files, and what every page loads (styles, icon, uPlot). Nothing else is served. */
export function pageFiles(page: string, own: string[]): Map<string, string> {
  return new Map([
    ['/', join(PUBLIC_DIR, page)],
    ...[...own, 'common.css', 'favicon.svg'].map((name): [string, string] => [`/${name}`, join(PUBLIC_DIR, name)]),
    ['/vendor/uPlot.iife.min.js', join(uplotDir, 'uPlot.iife.min.js')],
    ['/vendor/uPlot.min.css', join(uplotDir, 'uPlot.min.css')],
  ]);
}

export function sendFile(res: ServerResponse, file: string): void {
  const stream = createReadStream(file);
  stream.once('open', () => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    stream.pipe(res);
  });
  stream.once('error', (err) => {
    if (res.headersSent) res.destroy(err);
    else sendText(res, 500, `cannot read ${file}: ${err.message}`);
  });
}
