// Secrets never reach the agent's log, whatever object a log line passes.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED_LOG_PATHS } from '../../agent/logging/redaction.js';

describe('the agent log', () => {
  it('redacts tokens, passwords and credential headers, at the top level and nested', () => {
    const lines: string[] = [];
    const log = pino({ redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } }, { write: (l: string) => void lines.push(l) });
    const secret = 'sekrit-0123456789-abcdef';
    log.info({ token: secret }, 'a');
    log.info({ web: { token: secret, port: 8080 } }, 'b');
    log.info({ config: { web: { token: secret } } }, 'c');
    log.info({ mqtt: { password: secret, username: 'pi' } }, 'd');
    log.info({ req: { headers: { authorization: `Bearer ${secret}`, cookie: `edge-agent-token-8080=${secret}`, host: 'pi' } } }, 'e');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).toContain('[redacted]');
    }
    expect(JSON.parse(lines[1]).web.port).toBe(8080);
    expect(JSON.parse(lines[4]).req.headers.host).toBe('pi');
  });
});
