import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { nativeInfo } from '../../kernels/native/index.js';
import type { CheckResult } from './check.js';

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

export async function checkNode(): Promise<CheckResult> {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20
    ? { name: 'node', status: 'ok', detail: `Node.js ${process.versions.node} (${process.arch})` }
    : { name: 'node', status: 'fail', detail: `Node.js ${process.versions.node}`, fix: 'install Node.js 20 or newer' };
}

/** The CPU and the SIMD features our kernel paths use. */
export async function checkCpu(): Promise<CheckResult> {
  const info = (await readText('/proc/cpuinfo')) ?? '';
  const model = /^(?:model name|Model|Hardware)\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? process.arch;
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.+)$/m.exec(info)?.[1] ?? '').split(/\s+/));
  const relevant = ['neon', 'asimd', 'asimddp', 'avx2', 'avx512f', 'avx512_vnni'].filter((f) => flags.has(f));
  return { name: 'cpu', status: 'ok', detail: `${model}; SIMD: ${relevant.join(' ') || 'none found'}` };
}

export async function checkNativeKernels(): Promise<CheckResult> {
  const info = nativeInfo();
  if ('error' in info) {
    return {
      name: 'kernels',
      status: 'warn',
      detail: `native kernels not loaded (${info.error}); the TypeScript engine runs, about 50-100x slower`,
      fix: 'install a C compiler and Python (apt-get install build-essential python3), then run: npm rebuild edge-agent',
    };
  }
  const forced = process.env.EDGE_AGENT_KERNEL_PATH;
  const available = info.paths.filter((p) => p.available).map((p) => p.name);
  return {
    name: 'kernels',
    status: 'ok',
    detail: `native ${info.arch}: best path ${forced ? `${forced} (forced by EDGE_AGENT_KERNEL_PATH)` : info.best}; available: ${available.join(', ')}`,
  };
}

function vcgencmd(args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('vcgencmd', args, { timeout: 2000 }, (err, stdout) => resolve(err ? null : stdout.trim()));
  });
}

/** Throttling bits of `vcgencmd get_throttled` (Raspberry Pi firmware). */
export const throttleFlags: [bit: number, meaning: string][] = [
  [0, 'under-voltage now'],
  [1, 'ARM frequency capped now'],
  [2, 'throttled now'],
  [3, 'soft temperature limit now'],
  [16, 'under-voltage has occurred'],
  [17, 'frequency capping has occurred'],
  [18, 'throttling has occurred'],
  [19, 'soft temperature limit has occurred'],
];

export function decodeThrottled(value: number): string[] {
  return throttleFlags.filter(([bit]) => (value >>> bit) & 1).map(([, meaning]) => meaning);
}

export async function checkThermals(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const milli = await readText('/sys/class/thermal/thermal_zone0/temp');
  if (milli !== null && Number.isFinite(Number(milli))) {
    const c = Number(milli) / 1000;
    results.push(
      c >= 80
        ? { name: 'temperature', status: 'warn', detail: `CPU at ${c.toFixed(1)} °C (the Pi throttles at 80-85 °C)`, fix: 'add a heatsink or fan' }
        : { name: 'temperature', status: 'ok', detail: `CPU at ${c.toFixed(1)} °C` },
    );
  }
  const throttled = await vcgencmd(['get_throttled']);
  if (throttled === null) {
    results.push({ name: 'throttling', status: 'ok', detail: 'vcgencmd not found (not a Raspberry Pi): no throttling flags to read' });
  } else {
    const value = Number.parseInt(/0x[0-9a-f]+/i.exec(throttled)?.[0] ?? '0', 16);
    const flags = decodeThrottled(value);
    results.push(
      flags.length === 0
        ? { name: 'throttling', status: 'ok', detail: `${throttled}: none` }
        : {
            name: 'throttling',
            status: 'warn',
            detail: `${throttled}: ${flags.join(', ')}`,
            fix: flags.some((f) => f.includes('under-voltage')) ? 'use the official power supply (5 V 3 A for a Pi 4, 5 A for a Pi 5)' : 'improve cooling',
          },
    );
  }
  return results;
}
