// The fault suite's figures: each test records what it did and what it measured here,
// and docs/reliability.md is rendered from all of them. Shared by every test under
// test/faults (items 1-10 of issue 5).
//
//   describeItem('1', 'Broker killed mid-stream', 'On a Pi: ...why the figures would differ...');
//   recordFigure('1', 'kill -9 at 10 fps', { results: 412, duplicates: 3 }, 'Killed mosquitto ...');
//
// Figures live in test/faults/figures.json, one entry per (item, test), replaced by each
// run, so running one file updates its entries and keeps the others' last figures. Test
// files run in parallel processes (vitest's forks pool), so every read-modify-write of the
// JSON and the render happen under a lock folder; the document is re-rendered on every
// record, which makes the last writer's render complete without a separate final step.
// Record figures after a test's assertions: what is in the document passed.
import { cpus, release, totalmem } from 'node:os';
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const figuresFile = `${root}test/faults/figures.json`;
export const reportFile = `${root}docs/reliability.md`;
const lockDir = `${figuresFile}.lock`;

export type Figures = Record<string, number | string>;

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
}

export interface TestRecord {
  item: string;
  test: string;
  whatItDid: string;
  figures: Figures;
  recordedAt: string;
  machine: Machine;
}

export interface ItemInfo {
  title: string;
  /** Which figures would differ on a Raspberry Pi, and why. */
  onAPi: string;
}

interface FiguresJson {
  items: Record<string, ItemInfo>;
  tests: Record<string, TestRecord>;
}

function machine(): Machine {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}, kernel ${release()}`,
  };
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` holding the lock; a lock older than 30 s was left by a killed process and is taken over. */
function locked<T>(fn: () => T): T {
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

function load(): FiguresJson {
  try {
    const json = JSON.parse(readFileSync(figuresFile, 'utf8')) as Partial<FiguresJson>;
    return { items: json.items ?? {}, tests: json.tests ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { items: {}, tests: {} };
    throw err;
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function save(json: FiguresJson): void {
  mkdirSync(`${root}docs`, { recursive: true });
  writeAtomically(figuresFile, JSON.stringify(json, null, 2) + '\n');
  writeAtomically(reportFile, render(json));
}

/** The title of an item and a static note on which of its figures would differ on a Pi, and why. */
export function describeItem(item: string, title: string, onAPi: string): void {
  locked(() => {
    const json = load();
    json.items[item] = { title, onAPi };
    save(json);
  });
}

/** Records a test's figures (replacing its previous ones) and re-renders docs/reliability.md. */
export function recordFigure(item: string, test: string, figures: Figures, whatItDid: string): void {
  const record: TestRecord = { item, test, whatItDid, figures, recordedAt: new Date().toISOString(), machine: machine() };
  locked(() => {
    const json = load();
    json.tests[`${item}::${test}`] = record;
    save(json);
  });
}

const itemOrder = (a: string, b: string): number => (parseFloat(a) || Infinity) - (parseFloat(b) || Infinity) || a.localeCompare(b);

function formatValue(v: number | string): string {
  if (typeof v === 'string') return v.replace(/\|/g, '\\|');
  if (Number.isInteger(v)) return String(v);
  return String(Math.abs(v) >= 100 ? Math.round(v * 10) / 10 : Math.round(v * 1000) / 1000);
}

const describeMachine = (m: Machine): string => `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}`;

/** docs/reliability.md from the recorded figures. */
export function render(json: FiguresJson): string {
  const tests = Object.values(json.tests);
  const items = [...new Set([...Object.keys(json.items), ...tests.map((t) => t.item)])].sort(itemOrder);
  const machines = [...new Set(tests.map((t) => describeMachine(t.machine)))];
  const out: string[] = [
    '# Reliability: faults, bad input, attack and fleet load',
    '',
    '<!-- Generated by the fault suite (test/faults/report.ts) from test/faults/figures.json. Do not edit by hand: run `npm run test:faults`. -->',
    '',
    'Each section is an automated test under `test/faults/` against a real mosquitto on loopback and, where the',
    'point is the agent\'s behaviour, the real agent (`edge-agent run`) as a child process. The figures are those',
    'of the last passing run of each test, **measured on this machine**, not on a Raspberry Pi; each item says',
    'which figures would differ on a Pi and why. Run `npm run test:faults` to measure them again.',
    '',
    `Measured on: ${machines.length > 0 ? machines.join('; ') : 'nothing yet'}.`,
    '',
  ];
  for (const item of items) {
    const info = json.items[item];
    out.push(`## ${item}. ${info?.title ?? '(untitled)'}`, '');
    if (info?.onAPi) out.push(`**On a Raspberry Pi:** ${info.onAPi}`, '');
    const mine = tests.filter((t) => t.item === item).sort((a, b) => a.test.localeCompare(b.test));
    if (mine.length === 0) out.push('_No figures recorded yet._', '');
    for (const t of mine) {
      out.push(`### ${t.test}`, '', t.whatItDid, '', '| figure | measured |', '|---|---|');
      for (const [name, value] of Object.entries(t.figures)) out.push(`| ${name.replace(/\|/g, '\\|')} | ${formatValue(value)} |`);
      out.push('', `_Last run ${t.recordedAt.slice(0, 19).replace('T', ' ')} UTC._`, '');
    }
  }
  return out.join('\n');
}
