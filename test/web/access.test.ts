// Who may use the pages: loopback-only Host names, the token by header, cookie or a
// ?token= login that redirects it away, and the device token's file.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config/load.js';
import { AccessGuard, isLoopback, sameToken } from '../../agent/web/access.js';
import { pageToken, TOKEN_FILE } from '../../agent/web/token.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

async function guarded(guard: AccessGuard): Promise<Server> {
  const server = createServer((req, res) => {
    if (guard.admit(req, res, new URL(req.url!, 'http://x'))) res.end('welcome');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (s: Server): number => (s.address() as { port: number }).port;

describe('isLoopback and sameToken', () => {
  it('knows loopback addresses and names from the rest', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', 'pi.localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'raspberrypi.local', 'localhost.evil.example', '127.0.0.1.nip.io']) expect(isLoopback(h), h).toBe(false);
  });

  it('compares tokens of any length without throwing', () => {
    expect(sameToken('a'.repeat(32), 'a'.repeat(32))).toBe(true);
    expect(sameToken('a'.repeat(32), 'a'.repeat(31) + 'b')).toBe(false);
    expect(sameToken('short', 'a'.repeat(32))).toBe(false);
    expect(sameToken('', 'a'.repeat(32))).toBe(false);
  });
});

describe('AccessGuard', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('refuses to guard with an empty token, which an empty cookie would match', () => {
    expect(() => new AccessGuard({ token: '', loopback: true, port: 1, hint: 'n/a' })).toThrow(/empty access token/);
  });

  it('on loopback without a token, answers only to loopback Host names (no DNS rebinding)', async () => {
    const server = await guarded(new AccessGuard({ token: null, loopback: true, port: 1, hint: 'n/a' }));
    servers.push(server);
    const port = portOf(server);
    expect((await get(port, '/')).status).toBe(200);
    expect((await get(port, '/', { host: `localhost:${port}` })).status).toBe(200);
    expect((await get(port, '/', { host: `[::1]:${port}` })).status).toBe(200);
    const rebound = await get(port, '/', { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('welcome');
  });

  it('with a token, admits a Bearer header or the cookie a ?token= login sets, and nothing else', async () => {
    const token = 'k3y-0123456789abcdef-XYZ';
    const server = await guarded(new AccessGuard({ token, loopback: false, port: 8123, hint: 'see web-token' }));
    servers.push(server);
    const port = portOf(server);

    const none = await get(port, '/events');
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/access token is required: see web-token/);
    expect(none.body).not.toContain(token);
    expect((await get(port, '/', { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect((await get(port, '/', { authorization: `Bearer ${token}x` })).status).toBe(401);
    expect((await get(port, '/', { cookie: `edge-agent-token-8123=${token.slice(0, -1)}` })).status).toBe(401);
    // A cookie that does not decode is refused like any wrong one, not thrown on.
    expect((await get(port, '/', { cookie: 'edge-agent-token-8123=%E0%A4%A' })).status).toBe(401);
    // A cookie for another port's page is not this page's.
    expect((await get(port, '/', { cookie: `edge-agent-token-9999=${token}` })).status).toBe(401);
    expect((await get(port, '/?token=nope')).status).toBe(401);

    const ok = await get(port, '/', { authorization: `Bearer ${token}` });
    expect([ok.status, ok.body]).toEqual([200, 'welcome']);

    const login = await get(port, `/frames/3?a=1&token=${encodeURIComponent(token)}&b=2`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/frames/3?a=1&b=2');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^edge-agent-token-8123=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const cookie = setCookie.split(';')[0];
    expect((await get(port, '/', { cookie: `other=1; ${cookie}` })).body).toBe('welcome');
  });
});

describe('the device page token', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edge-agent-token-'));
  });
  afterEach(() => rmSync(join(dir, TOKEN_FILE), { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const web = (host: string, token: string | null = null) => ({ enabled: true, host, port: 8080, token, maxFrameRate: 2 });

  it('is off by default, on loopback, and needs no token there', async () => {
    const { config } = await loadConfig({ env: {} });
    expect(config.web).toMatchObject({ enabled: false, host: '127.0.0.1', token: null });
    expect((await pageToken(config.web, dir)).token).toBeNull();
  });

  it('is the configured one wherever it listens', async () => {
    expect((await pageToken(web('127.0.0.1', 'configured-token-123456'), dir)).token).toBe('configured-token-123456');
    expect((await pageToken(web('0.0.0.0', 'configured-token-123456'), dir)).token).toBe('configured-token-123456');
  });

  it('beyond loopback, is made once into <dataDir>/web-token with mode 0600 and kept', async () => {
    const first = await pageToken(web('0.0.0.0'), dir);
    const file = join(dir, TOKEN_FILE);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.token);
    expect(first.where).toContain(file);
    expect(first.where).not.toContain(first.token!);
    expect((await pageToken(web('192.0.2.7'), dir)).token).toBe(first.token);
  });

  it('refuses a token file others can read, or one without a usable token', async () => {
    const file = join(dir, TOKEN_FILE);
    writeFileSync(file, 'a-perfectly-fine-token-value\n', { mode: 0o600 });
    chmodSync(file, 0o644);
    await expect(pageToken(web('0.0.0.0'), dir)).rejects.toThrow(`${file} is readable by others (mode 644); run chmod 600 ${file}`);
    writeFileSync(file, 'short\n');
    chmodSync(file, 0o600);
    await expect(pageToken(web('0.0.0.0'), dir)).rejects.toThrow(`${file} does not hold a token`);
  });

  it('is refused by the configuration when too short or empty, in the file or the environment', async () => {
    await expect(loadConfig({ env: {}, overrides: { web: { token: 'short' } } as never })).rejects.toThrow(/web\.token: must NOT have fewer than 16 characters/);
    await expect(loadConfig({ env: {}, overrides: { web: { token: '' } } as never })).rejects.toThrow(/web\.token: must NOT have fewer than 16 characters/);
    await expect(loadConfig({ env: { EDGE_AGENT_WEB_TOKEN: '' } })).rejects.toThrow(/EDGE_AGENT_WEB_TOKEN: must NOT have fewer than 16 characters/);
  });
});
