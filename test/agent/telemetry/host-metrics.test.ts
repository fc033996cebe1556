// The host's metrics: the Raspberry Pi firmware's flags come from a vcgencmd on PATH (here a
// script that answers as a Pi with a weak supply would), and are left out without one.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerHostMetrics } from '../../../agent/telemetry/metrics-server.js';

const value = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('registerHostMetrics', () => {
  const path = process.env.PATH;
  const dirs: string[] = [];
  afterEach(() => {
    process.env.PATH = path;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('under-voltage and throttling, now and since boot, from vcgencmd get_throttled', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'edge-agent-vcgencmd-'));
    dirs.push(bin);
    // Bits 0 and 2 (under-voltage, throttled now) and 16 (under-voltage since boot), not 18.
    writeFileSync(join(bin, 'vcgencmd'), '#!/bin/sh\n[ "$1" = get_throttled ] && echo throttled=0x10005\n');
    chmodSync(join(bin, 'vcgencmd'), 0o755);
    process.env.PATH = `${bin}:${path}`;
    const registry = new Registry();
    await registerHostMetrics(registry);
    const text = await registry.metrics();
    expect(value(text, 'edge_agent_under_voltage')).toBe(1);
    expect(value(text, 'edge_agent_throttled')).toBe(1);
    expect(value(text, 'edge_agent_under_voltage_occurred')).toBe(1);
    expect(value(text, 'edge_agent_throttled_occurred')).toBe(0);
    expect(value(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('leaves out what the host cannot tell: no vcgencmd, no flags; no thermal zone, no temperature', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edge-agent-no-vcgencmd-'));
    dirs.push(empty);
    process.env.PATH = empty;
    const registry = new Registry();
    await registerHostMetrics(registry);
    const text = await registry.metrics();
    expect(text).not.toMatch(/^edge_agent_(under_voltage|throttled)/m);
    const zone = '/sys/class/thermal/thermal_zone0/temp';
    if (existsSync(zone)) expect(value(text, 'edge_agent_cpu_temperature_celsius')).toBeCloseTo(Number(readFileSync(zone, 'utf8')) / 1000, 0);
    else expect(text).not.toContain('edge_agent_cpu_temperature_celsius');
  });
});
