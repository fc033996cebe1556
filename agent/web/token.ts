import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';
import { isLoopback } from './access.js';

export interface PageToken {
  /** null: no token is needed (loopback and none configured). */
  token: string | null;
  /** Where the person at the browser finds it (never the token itself: this goes to the log). */
  where: string;
}

export const TOKEN_FILE = 'web-token';

/**
 * The device page's token: web.token when set; none on loopback; otherwise the one in
 * <dataDir>/web-token, made on first use (32 random bytes, base64url, mode 0600) and kept
 * so bookmarks and scripts go on working across restarts. It is never printed: under pm2
 * or systemd the agent's output is a log file, and the token must not be in any log.
 */
export async function pageToken(web: AgentConfig['web'], dataDir: string): Promise<PageToken> {
  if (web.token !== null) return { token: web.token, where: 'it is set in web.token' };
  if (isLoopback(web.host)) return { token: null, where: 'none needed on loopback' };
  const file = join(dataDir, TOKEN_FILE);
  const where = `it is in ${file} on the device`;
  try {
    const token = randomBytes(32).toString('base64url');
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return { token, where };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`web: cannot create the access token file ${file}: ${(err as Error).message}`);
  }
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) {
    throw new ConfigError([`web: ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`]);
  }
  const token = (await readFile(file, 'utf8')).trim();
  if (!/^[\x21-\x7e]{16,256}$/.test(token)) {
    throw new ConfigError([`web: ${file} does not hold a token of 16-256 printable characters; delete it to have a new one made`]);
  }
  return { token, where };
}
