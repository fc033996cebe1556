// What the fault tests share: the real agent as a child process with its log awaited
// line by line, a scratch folder per test file, and the arithmetic of seq streams.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess } from '../support/agent-process.js';
import { imagePath, modelPath } from '../support/paths.js';

/** The smallest shipped model: the fault tests are about delivery, not accuracy, and run beside each other. */
export const fastModel = modelPath('mobilenet_v1_0.25_128_quant.tflite');
export const sampleImages = ['bird.png', 'cat.png', 'parrot.jpg'];

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

const agents = new Set<AgentProcess>();
const dirs = new Set<string>();

/** A scratch folder removed by cleanup(). */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `edge-agent-faults-${name}-`));
  dirs.add(dir);
  return dir;
}

/** A folder of real sample images (copies, so the folder can be renamed or given a .faults file). */
export function imageFolder(parent: string, name = 'images'): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  for (const image of sampleImages) cpSync(imagePath(image), join(dir, image));
  return dir;
}

/** A configuration file for the fault tests; `extra` is appended YAML (sections not set here). */
export function writeConfig(dir: string, mqtt: Record<string, number | string> = {}, extra = ''): string {
  const file = join(dir, 'config.yaml');
  const settings = { telemetrySeconds: 1, reconnectSeconds: 0.5, ...mqtt };
  const lines = [
    'model:',
    `  file: ${fastModel}`,
    'mqtt:',
    ...Object.entries(settings).map(([k, v]) => `  ${k}: ${v}`),
    extra,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Starts `edge-agent run` and remembers it, so cleanup() kills whatever a failed test left running. */
export function startAgent(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  // The malloc and heap settings ecosystem.config.js runs agents with (test/deploy/ecosystem.test.ts checks they are there).
  const agent = AgentProcess.start(args, { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-old-space-size=128', ...env });
  agents.add(agent);
  void agent.exited.then(() => agents.delete(agent));
  return agent;
}

/** kill -9: the agent dies between two instructions, as on a crash or an OOM kill. */
export async function killAgent(agent: AgentProcess): Promise<void> {
  agent.child.kill('SIGKILL');
  await agent.exited;
}

/** Kills every agent still running and removes the scratch folders. */
export async function cleanup(): Promise<void> {
  await Promise.all([...agents].map((a) => killAgent(a)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Resolves with the first log line (from the start of the run) that `match` accepts;
 * rejects when the agent exits first or after `timeoutMs`, with the log's tail.
 */
export function waitForLog(agent: AgentProcess, match: (line: LogLine) => boolean, what: string, timeoutMs = 20_000): Promise<LogLine> {
  const find = (): LogLine | undefined => (agent.logs() as LogLine[]).find(match);
  const found = find();
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      const line = find();
      if (line) finish(null, line);
    };
    const onExit = (code: number | null): void => finish(new Error(`the agent exited (code ${code}) before ${what}; stderr: ${agent.stderr.slice(-2000)}\nlog tail:\n${agent.stdout.slice(-3000)}`));
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; log tail:\n${agent.stdout.slice(-3000)}`)), timeoutMs);
    const finish = (err: Error | null, line?: LogLine): void => {
      clearTimeout(timer);
      agent.child.stdout!.off('data', onData);
      agent.child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    agent.child.stdout!.on('data', onData);
    agent.child.once('exit', onExit);
  });
}

/** The seqs of the results the agent produced, from its log ("result" lines, logged when simulated). */
export function loggedSeqs(agent: AgentProcess): number[] {
  return (agent.logs() as LogLine[]).filter((l) => l.msg === 'result').map((l) => l.seq as number);
}

/** Results per second over the agent's "result" log lines so far. */
export function resultRate(agent: AgentProcess): number {
  const times = (agent.logs() as LogLine[]).filter((l) => l.msg === 'result').map((l) => l.time as number);
  return times.length < 2 ? 0 : ((times.length - 1) * 1000) / (times.at(-1)! - times[0]);
}

export interface SeqStream {
  /** Arrivals, duplicates included. */
  received: number;
  unique: number;
  duplicates: number;
  /** Seqs in [from, to] that never arrived. */
  missing: number[];
  /** Each seq's first arrival came after the first arrival of every lower seq. */
  firstArrivalsInOrder: boolean;
  /** First arrivals out of order, for the failure message. */
  outOfOrder: number[];
}

/** Checks a stream of arrivals against the seqs from..to that must all be there. */
export function seqStream(arrivals: number[], from: number, to: number): SeqStream {
  const seen = new Set<number>();
  const outOfOrder: number[] = [];
  let highest = -Infinity;
  for (const seq of arrivals) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    if (seq < highest) outOfOrder.push(seq);
    highest = Math.max(highest, seq);
  }
  const missing: number[] = [];
  for (let seq = from; seq <= to; seq++) if (!seen.has(seq)) missing.push(seq);
  return {
    received: arrivals.length,
    unique: seen.size,
    duplicates: arrivals.length - seen.size,
    missing,
    firstArrivalsInOrder: outOfOrder.length === 0,
    outOfOrder,
  };
}

export const seconds = (ms: number): number => Math.round(ms / 10) / 100;
