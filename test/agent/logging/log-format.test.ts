// The agent's log as a person at a terminal and as pm2 or a log shipper reads it.
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { prettyMessage, resolveLogFormat } from '../../../agent/logging/logger.js';
import { AgentProcess } from '../../support/agent-process.js';

const dataDir = mkdtempSync('/tmp/edge-agent-log-format-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless one is asked for', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes a result as a sentence and other lines as the message with key=value fields', () => {
    const base = { level: 30, time: 0, pid: 1, hostname: 'pi', device: 'pi' };
    expect(prettyMessage({ ...base, msg: 'result', seq: 41, source: 'cat.png', label: 'Egyptian cat', score: 0.7612, ms: 9.9 })).toBe('result 41 cat.png: Egyptian cat 0.76 (9.9 ms)');
    expect(prettyMessage({ ...base, msg: 'result', seq: 2, source: 'x.jpg', label: null, score: null, ms: 3 })).toBe('result 2 x.jpg: nothing above the threshold (3 ms)');
    expect(prettyMessage({ ...base, msg: 'camera ready', camera: 'sim:/srv/my images', fps: 2, err: { message: 'no' } })).toBe('camera ready camera="sim:/srv/my images" fps=2 err="no"');
  });

  it('edge-agent run --log-format pretty prints readable lines, and JSON when asked', async () => {
    const pretty = AgentProcess.start(['--simulate', '--max-frames', '2', '--fps', '10', '--log-format', 'pretty', '--data-dir', dataDir]);
    expect(await pretty.exited).toBe(0);
    const lines = pretty.stdout.trim().split('\n');
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: result \d+ \S+\.(png|jpg): .+ \d\.\d\d \([\d.]+ ms\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[[\d:.]+\] INFO: edge-agent running mode=continuous/));

    const json = AgentProcess.start(['--simulate', '--max-frames', '1', '--log-format', 'json', '--data-dir', dataDir]);
    expect(await json.exited).toBe(0);
    expect(json.logs().some((l) => l.msg === 'result')).toBe(true);
  });
});
