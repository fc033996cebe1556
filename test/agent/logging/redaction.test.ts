// Secrets never reach the agent's log, whatever object a log line passes.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED_LOG_PATHS, redactSecrets } from '../../../agent/logging/redaction.js';

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

describe('redactSecrets', () => {
  it('replaces the password of URLs with credentials and token parameters, and nothing else', () => {
    expect(redactSecrets('connecting to mqtts://pi:s3cret@broker.local:8883 now')).toBe('connecting to mqtts://pi:[redacted]@broker.local:8883 now');
    expect(redactSecrets('{"url":"mqtt://a:b%40c@h"}')).toBe('{"url":"mqtt://a:[redacted]@h"}');
    expect(redactSecrets('ws://user:@h and rtsp://cam:pa:ss@10.0.0.2/stream')).toBe('ws://user:[redacted]@h and rtsp://cam:[redacted]@10.0.0.2/stream');
    expect(redactSecrets('open http://pi:8080/?token=abc-DEF_1&x=1 once')).toBe('open http://pi:8080/?token=[redacted]&x=1 once');
    for (const plain of ['mqtt://broker:1883', 'mqtt://user@broker', 'http://127.0.0.1:8080/', 'a:b@c', 'time 12:30 at home']) {
      expect(redactSecrets(plain)).toBe(plain);
    }
  });
});
