// A camera fault drill against a running agent: inject a fault, await `degraded` in its
// telemetry naming the part and the cause, clear the fault, await a result captured after
// the clear and telemetry back to `ok`, with the agent alive throughout.
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import type { AgentProcess } from '../support/agent-process.js';
import { Recorder } from '../support/recorder.js';
import { seconds } from './support.js';

export interface Telemetry {
  ts: string;
  status: 'ok' | 'degraded';
  degraded: Record<string, string>;
  frames: { captured: number; inferred: number; captureErrors: number };
  outbox: { degraded: boolean; lastError: string | null; depth: number };
}

export interface Fault {
  name: string;
  /** The part expected in telemetry's `degraded`, and what its reason must say. */
  part: 'camera' | 'frames';
  reason: RegExp;
  inject(): void;
  clear(): void;
}

export interface DrillOutcome {
  name: string;
  reason: string;
  /** Fault injected -> telemetry says degraded. */
  detectMs: number;
  /** Fault cleared -> results captured after the clear arrive (two of them: flowing, not one lucky frame). */
  resultsMs: number;
  /** Fault cleared -> telemetry says ok again. */
  okMs: number;
  captureErrors: number;
}

/** Subscribes to a device's telemetry and results. */
export async function watchDevice(url: string, device: string): Promise<Recorder> {
  return Recorder.connect(url, [`edge/${device}/telemetry`, `edge/${device}/result`]);
}

/** The scratch folders' part of a path, which differs from run to run. */
const scratch = new RegExp(`${tmpdir()}/edge-agent-faults-[^/]+`, 'g');

export const telemetry = (r: Recorder, device: string, since: number): Telemetry[] =>
  r.on(`edge/${device}/telemetry`).map((m) => JSON.parse(m.text) as Telemetry).filter((t) => Date.parse(t.ts) >= since);

/** Runs the faults one after another on a running agent. */
export async function drill(agent: AgentProcess, watch: Recorder, device: string, faults: Fault[]): Promise<DrillOutcome[]> {
  const alive = (): void => expect(agent.child.exitCode, `the agent exited: ${agent.stderr}`).toBeNull();
  const outcomes: DrillOutcome[] = [];
  await watch.until((r) => telemetry(r, device, 0).some((t) => t.status === 'ok' && t.frames.inferred > 0), `${device}: telemetry ok with results before the drill`);
  for (const fault of faults) {
    const injectedAt = Date.now();
    fault.inject();
    let degraded: Telemetry | undefined;
    await watch.until((r) => {
      degraded = telemetry(r, device, injectedAt).find((t) => t.status === 'degraded' && fault.reason.test(t.degraded[fault.part] ?? ''));
      return degraded !== undefined;
    }, `${fault.name}: telemetry degraded.${fault.part} matching ${fault.reason}`);
    const detectMs = Date.parse(degraded!.ts) - injectedAt;
    alive();

    const clearedAt = Date.now();
    fault.clear();
    await watch.until(
      (r) => r.results(`edge/${device}/result`).filter((x) => Date.parse(x.ts) >= clearedAt).length >= 2,
      `${fault.name}: results captured after the fault was cleared`,
    );
    const resultsAt = Date.now();
    let ok: Telemetry | undefined;
    await watch.until((r) => {
      ok = telemetry(r, device, resultsAt).find((t) => t.status === 'ok' && Object.keys(t.degraded).length === 0);
      return ok !== undefined;
    }, `${fault.name}: telemetry ok again`);
    alive();
    outcomes.push({
      name: fault.name,
      reason: degraded!.degraded[fault.part],
      detectMs,
      resultsMs: resultsAt - clearedAt,
      okMs: Date.parse(ok!.ts) - clearedAt,
      captureErrors: ok!.frames.captureErrors,
    });
  }
  return outcomes;
}

/** Figures of a drill: per fault, how fast it was reported and recovered from. */
export function drillFigures(outcomes: DrillOutcome[]): Record<string, string> {
  return Object.fromEntries(outcomes.map((o) => [o, o.reason.replace(scratch, '<scratch>')] as const).map(([o, reason]) => [
    o.name,
    `degraded in ${seconds(o.detectMs)} s ("${reason.length > 90 ? `${reason.slice(0, 87)}...` : reason}"); ` +
      `results again ${seconds(o.resultsMs)} s and ok ${seconds(o.okMs)} s after the clear`,
  ]));
}
