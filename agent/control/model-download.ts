import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { redactSecrets } from '../logging/redaction.js';

export interface DownloadLimits {
  /** A larger answer is refused: announced by Content-Length, or counted as it arrives. */
  maxBytes: number;
  /** The whole download, headers to the last byte. */
  timeoutMs: number;
}

/** A downloaded file, written and synced, not yet in its place. */
export interface Downloaded {
  path: string;
  sha256: string;
  bytes: number;
}

/** Names a download's temporary file, so that a download cut off by a crash is recognised and removed. */
export const PARTIAL_PREFIX = '.download-';

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/**
 * The URL fetch is given and the Authorization header for its credentials: fetch refuses a
 * URL with a user name in it, while http://user:pass@camera/model.tflite is how people
 * write one.
 */
function request(url: string): { target: URL; headers: Record<string, string> } {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new DownloadError(`'${redactSecrets(url)}' is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new DownloadError(`'${redactSecrets(url)}': only http and https URLs are downloaded`);
  const headers: Record<string, string> = {};
  if (target.username !== '' || target.password !== '') {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  return { target, headers };
}

/** What went wrong, in words: fetch says only "fetch failed" and keeps the reason in its cause. */
function reason(err: unknown, limits: DownloadLimits, signal: AbortSignal | undefined): string {
  if (err instanceof DownloadError) return err.message;
  const e = err as Error & { cause?: { code?: string; message?: string }; code?: string };
  if (signal?.aborted) return String(signal.reason instanceof Error ? signal.reason.message : signal.reason);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `not complete within ${limits.timeoutMs / 1000} s`;
  if (e.code === 'ENOSPC') return 'no space left on the device';
  const cause = e.cause;
  if (cause?.code) return cause.message?.includes(cause.code) ? cause.message : `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return cause?.message ? `${e.message}: ${cause.message}` : e.message;
}

/**
 * Fetches `url` over HTTP(S) into a new file in `dir`, hashing it on the way. The file is
 * synced before it is returned; on any failure it is removed and the error names the URL
 * (its password redacted) and the reason. `signal` cancels it, with its reason as the error.
 */
export async function download(url: string, dir: string, limits: DownloadLimits, signal?: AbortSignal): Promise<Downloaded> {
  const shown = redactSecrets(url);
  const { target, headers } = request(url);
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const path = join(dir, `${PARTIAL_PREFIX}${randomBytes(6).toString('hex')}`);
  let file: Awaited<ReturnType<typeof open>> | null = null;
  try {
    const response = await fetch(target, { headers, signal: abort, redirect: 'follow' });
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new DownloadError(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    const announced = Number(response.headers.get('content-length'));
    if (announced > limits.maxBytes) {
      await response.body.cancel();
      throw new DownloadError(`${announced} bytes, over the limit of ${limits.maxBytes}`);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    file = await open(path, 'wx', 0o644);
    for await (const chunk of response.body) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) throw new DownloadError(`more than ${limits.maxBytes} bytes, the limit`);
      hash.update(chunk);
      await file.write(chunk);
    }
    await file.sync();
    await file.close();
    file = null;
    return { path, sha256: hash.digest('hex'), bytes };
  } catch (err) {
    await file?.close().catch(() => {});
    await rm(path, { force: true });
    throw new DownloadError(`download of ${shown} failed: ${reason(err, limits, signal)}`);
  }
}
