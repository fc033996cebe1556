// The fault suite's figures: each test records what it did and what it measured here, with
// the command that printed them and where and when it ran (items 1-11 of issues 5 and 10).
//
//   describeItem('1', 'Broker killed mid-stream', 'On a Pi: ...why the figures would differ...');
//   recordFigure('1', 'kill -9 at 10 fps', { results: 412, duplicates: 3 }, 'Killed mosquitto ...');
//
// Figures go to reports/faults/figures.json (git-ignored: a test run never rewrites a tracked
// file), one entry per (item, test), replaced by each run, so running one file updates its
// entries and keeps the others' last figures. `npm run docs:update` takes them into
// docs/figures/faults.json and renders docs/reliability.md. Test files run in parallel
// processes (vitest's forks pool), so every read-modify-write of the JSON happens under a
// lock folder. Record figures after a test's assertions: what is recorded passed.
import { mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { expect } from 'vitest';
import { reportsDir, writeAtomically } from '../../bench/figures/bench-record.js';
import { commandLine, provenance } from '../../bench/figures/provenance.js';
import type { FaultFigures, Figures, TestRecord } from '../../bench/figures/reliability.js';
import { repoRoot } from '../support/paths.js';

export const figuresFile = join(reportsDir, 'faults', 'figures.json');
const lockDir = `${figuresFile}.lock`;

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` holding the lock; a lock older than 30 s was left by a killed process and is taken over. */
function locked<T>(fn: () => T): T {
  mkdirSync(dirname(figuresFile), { recursive: true });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 30_000) rmdirSync(lockDir);
      } catch {
        // Released between the two calls.
      }
      if (Date.now() > deadline) throw new Error(`${lockDir}: held for over 20 s; remove it if no test is running`);
      sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lockDir);
  }
}

function load(): FaultFigures {
  try {
    const json = JSON.parse(readFileSync(figuresFile, 'utf8')) as Partial<FaultFigures>;
    return { items: json.items ?? {}, tests: json.tests ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { items: {}, tests: {} };
    throw err;
  }
}

function save(json: FaultFigures): void {
  writeAtomically(figuresFile, JSON.stringify(json, null, 2) + '\n');
}

/** The command that runs the test file calling this, as a user types it. */
function testCommand(): string {
  const file = expect.getState().testPath;
  return file ? commandLine(['npx', 'vitest', 'run', relative(repoRoot, file)]) : 'npm run test:faults';
}

/** The title of an item and a static note on which of its figures would differ on a Pi, and why. */
export function describeItem(item: string, title: string, onAPi: string): void {
  locked(() => {
    const json = load();
    json.items[item] = { title, onAPi };
    save(json);
  });
}

/** Records a test's figures, replacing its previous ones. */
export function recordFigure(item: string, test: string, figures: Figures, whatItDid: string): void {
  const record: TestRecord = { item, test, whatItDid, figures, provenance: provenance(testCommand()) };
  locked(() => {
    const json = load();
    json.tests[`${item}::${test}`] = record;
    save(json);
  });
}
