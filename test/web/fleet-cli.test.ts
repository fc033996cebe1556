// `edge-agent fleet` as an operator starts it: a token variable that is set but unusable is
// refused before anything listens.
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/mosquitto.js';
import { runCli } from '../support/run-cli.js';

describe('edge-agent fleet, the page token', () => {
  it.each([
    ['empty', '', /EDGE_AGENT_FLEET_TOKEN is set but empty/],
    ['blank', '   ', /EDGE_AGENT_FLEET_TOKEN must be 16-256 printable characters without spaces/],
    ['too short', 'short', /EDGE_AGENT_FLEET_TOKEN must be 16-256 printable characters without spaces/],
  ])('refuses EDGE_AGENT_FLEET_TOKEN when %s, with exit 78, before listening or connecting', async (_, token, message) => {
    const port = await freePort();
    const r = await runCli(['fleet', '--mqtt-url', `mqtt://127.0.0.1:${await freePort()}`, '--port', String(port)], { env: { EDGE_AGENT_FLEET_TOKEN: token }, timeoutMs: 15_000 });
    expect(r.code, r.stderr).toBe(78);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(r.stderr).not.toMatch(/the fleet page is at|    at /);
  });
});
