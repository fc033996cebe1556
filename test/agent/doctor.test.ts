import { describe, expect, it } from 'vitest';
import { decodeThrottled } from '../../agent/telemetry/host.js';
import { runCli } from '../support/run-cli.js';

describe('edge-agent doctor', () => {
  it('reports Node.js, the CPU and the native kernel path as JSON', async () => {
    const r = await runCli(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const checks = JSON.parse(r.stdout) as { name: string; status: string; detail: string }[];
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('node')?.status).toBe('ok');
    expect(byName.get('cpu')?.detail).toMatch(/SIMD:/);
    expect(byName.get('kernels')?.detail).toMatch(/native (x64|arm64|arm): best path \w+/);
    expect(byName.get('throttling')).toBeDefined();
  });

  it('prints a readable report', async () => {
    const r = await runCli(['doctor']);
    expect(r.stdout).toMatch(/^ok {2}\s+node\s+Node\.js 20/m);
  });
});

describe('decodeThrottled', () => {
  it('names each set bit of vcgencmd get_throttled', () => {
    expect(decodeThrottled(0)).toEqual([]);
    expect(decodeThrottled(0x50005)).toEqual(['under-voltage now', 'throttled now', 'under-voltage has occurred', 'throttling has occurred']);
  });
});
