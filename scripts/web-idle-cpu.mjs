#!/usr/bin/env node
// The device page must cost nothing while no browser is connected. This runs the same
// simulated agent (embedded broker, sample images, same fps) with web.enabled false and
// true, in alternating rounds, and compares the CPU time the agent's process used
// (utime + stime from /proc/<pid>/stat, all its threads) over the same window.
//
//   node scripts/web-idle-cpu.mjs [--seconds 30] [--fps 2] [--rounds 2]
//
// Needs a built agent (npm run build) and Linux (/proc). The figures are also recorded under
// reports/bench/ for the docs (bench/figures/bench-record.ts).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { recordBench } from '../dist/bench/figures/bench-record.js';
import { commandLine } from '../dist/bench/figures/provenance.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, fps: { type: 'string', default: '2' }, rounds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const WARM_UP_MS = 5000;

/** CPU seconds used so far by process `pid`: fields 14 and 15 of /proc/<pid>/stat, after the command name. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(web) {
  const dataDir = mkdtempSync(join(tmpdir(), 'edge-agent-cpu-'));
  const child = spawn(process.execPath, [join(root, 'bin/edge-agent'), 'run', '--simulate', '--fps', values.fps, '--data-dir', dataDir, '--device-id', 'cpu-probe'], {
    env: { ...process.env, EDGE_AGENT_WEB_ENABLED: String(web), EDGE_AGENT_WEB_PORT: '18931' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const results = () => out.split('\n').filter((l) => l.includes('"msg":"result"')).length;
  try {
    while (!out.includes('edge-agent running')) {
      if (child.exitCode !== null) throw new Error(`the agent exited (code ${child.exitCode}):\n${out}`);
      await sleep(100);
    }
    if (web !== out.includes('serving the device page')) throw new Error(`web.enabled ${web}, but the log says otherwise:\n${out}`);
    await sleep(WARM_UP_MS);
    const [cpu0, n0] = [cpuSeconds(child.pid), results()];
    await sleep(seconds * 1000);
    const [cpu1, n1] = [cpuSeconds(child.pid), results()];
    return { web, cpuSeconds: Math.round((cpu1 - cpu0) * 100) / 100, percentOfOneCore: Math.round(((cpu1 - cpu0) / seconds) * 1000) / 10, results: n1 - n0 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const web of round % 2 === 0 ? [false, true] : [true, false]) {
    const row = { round, seconds, fps: Number(values.fps), ...(await measure(web)) };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const means = [false, true].map((web) => {
  const mine = rows.filter((r) => r.web === web);
  const mean = mine.reduce((s, r) => s + r.cpuSeconds, 0) / mine.length;
  return { web, meanCpuSeconds: Math.round(mean * 100) / 100, meanPercentOfOneCore: Math.round((mean / seconds) * 1000) / 10 };
});
for (const mean of means) console.log(JSON.stringify(mean));
recordBench(commandLine(['node', 'scripts/web-idle-cpu.mjs', ...process.argv.slice(2)]), { seconds, fps: Number(values.fps), rounds: Number(values.rounds), rows, means });
