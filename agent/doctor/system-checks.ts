import { readFile } from 'node:fs/promises';
import { forcedPathProblem, KERNEL_PATH_VARIABLE, nativeInfo } from '../../kernels/native/index.js';
import { cpuTemperature, throttling } from '../telemetry/host.js';
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
      detail: `native kernels not loaded (${info.error}); the TypeScript engine runs, far slower (npm run bench:compare measures both)`,
      fix: "install a C compiler and Python (sudo apt-get install -y build-essential python3), then run npm run install in edge-agent's folder; or deploy with scripts/deploy, which ships kernels built for this CPU",
    };
  }
  const forced = process.env[KERNEL_PATH_VARIABLE];
  const available = info.paths.filter((p) => p.available).map((p) => p.name);
  // A forced path that cannot run is setupChecks' failure ('kernel path'), not a path in use.
  const used = forced && forcedPathProblem() === null ? `${forced} (chosen by ${KERNEL_PATH_VARIABLE}; the best is ${info.best})` : info.best;
  return { name: 'kernels', status: 'ok', detail: `native ${info.arch}: path ${used}; this CPU runs: ${available.join(', ')}` };
}

export async function checkThermals(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const c = await cpuTemperature();
  if (c !== null) {
    results.push(
      c >= 80
        ? { name: 'temperature', status: 'warn', detail: `CPU at ${c.toFixed(1)} °C (the Pi throttles at 80-85 °C)`, fix: 'add a heatsink or fan' }
        : { name: 'temperature', status: 'ok', detail: `CPU at ${c.toFixed(1)} °C` },
    );
  }
  const t = await throttling();
  if (t === null) {
    results.push({ name: 'throttling', status: 'ok', detail: 'vcgencmd not found (not a Raspberry Pi): no throttling flags to read' });
  } else if (t.flags.length === 0) {
    results.push({ name: 'throttling', status: 'ok', detail: `${t.raw}: none` });
  } else {
    results.push({
      name: 'throttling',
      status: 'warn',
      detail: `${t.raw}: ${t.flags.join(', ')}`,
      fix: t.flags.some((f) => f.includes('under-voltage')) ? 'use the official power supply (5 V 3 A for a Pi 4, 5 A for a Pi 5)' : 'improve cooling',
    });
  }
  return results;
}
