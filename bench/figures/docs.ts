// The documents that show measured figures, and where their figures come from. Test and
// benchmark runs write what they measured under reports/ (never a tracked file);
// `npm run docs:update` (scripts/update-docs.mjs) takes the last runs into docs/figures/ and
// renders the documents from there. A rendered document depends on docs/figures/ alone, so
// test/bench/docs-figures.test.ts can check it is up to date without running anything.
//
// Prose that is not generated lives in the documents themselves, with each generated part
// between <!-- figures:NAME --> and <!-- /figures:NAME --> (a block or a few words), except
// docs/reliability.md, which is generated whole (its hand-written section comes from
// test/faults/hostile-input.md).
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDir } from '../../agent/core/install-dir.js';
import { armOutputBlock, gemmLoopRate, mobilenetCell, type ArmFigures } from './arm-model.js';
import { readBenchRecords, writeAtomically } from './bench-record.js';
import { fleetScaleFigures } from './fleet-scale.js';
import { benchRun, performanceSection, readmeCommands, webIdleSentence, type Benches } from './performance.js';
import { renderReliability, type FaultFigures } from './reliability.js';

export const figuresDir = 'docs/figures';
const faultsFile = `${figuresDir}/faults.json`;
const benchesFile = `${figuresDir}/benches.json`;
const screenshots = ['device-page.png', 'fleet-page.png'];

function readJson<T>(file: string, empty: T): T {
  if (!existsSync(file)) return empty;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** `text` with each marked part replaced by `values[name]`; every name must be marked exactly once, and nothing else. */
export function fillMarkers(text: string, values: Record<string, string>, path: string): string {
  const seen: string[] = [];
  const filled = text.replace(/<!-- figures:([\w-]+) -->[\s\S]*?<!-- \/figures:\1 -->/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`${path}: <!-- figures:${name} --> names no figures (known: ${Object.keys(values).join(', ')})`);
    seen.push(name);
    return `<!-- figures:${name} -->${values[name]}<!-- /figures:${name} -->`;
  });
  for (const name of Object.keys(values)) {
    const count = seen.filter((n) => n === name).length;
    if (count !== 1) throw new Error(`${path}: needs <!-- figures:${name} --> ... <!-- /figures:${name} --> once, has it ${count} times`);
  }
  return filled;
}

/**
 * Takes the last runs' figures from reports/ into docs/figures/: the fault suite's file by
 * file (a file that did not run, or whose tests all failed, keeps its last figures), the
 * benchmarks of the commands the docs show, and the web tests' screenshots. Returns what it took.
 */
export function updateFigures(root = installDir, reports = join(root, 'reports')): string[] {
  const taken: string[] = [];
  mkdirSync(join(root, figuresDir), { recursive: true });

  const run = readJson<FaultFigures | null>(join(reports, 'faults', 'figures.json'), null);
  if (run) {
    const kept = readJson<FaultFigures>(join(root, faultsFile), { items: {}, tests: {} });
    // A test file that ran replaces all its records: a test renamed or removed leaves none behind.
    const ran = new Set(Object.values(run.tests).map((t) => t.provenance.command));
    const others = Object.fromEntries(Object.entries(kept.tests).filter(([, t]) => !ran.has(t.provenance.command)));
    const merged: FaultFigures = { items: { ...kept.items, ...run.items }, tests: { ...others, ...run.tests } };
    writeAtomically(join(root, faultsFile), json(merged));
    taken.push(...Object.keys(run.tests).map((t) => `fault test ${t}`));
  }

  const runs = readBenchRecords(join(reports, 'bench'));
  const benches = readJson<Benches>(join(root, benchesFile), {});
  for (const command of Object.values(readmeCommands)) {
    const record = runs.get(command);
    if (!record) continue;
    benches[command] = record;
    taken.push(command);
  }
  writeAtomically(join(root, benchesFile), json(benches));

  for (const png of screenshots) {
    const shot = join(reports, 'screenshots', png);
    if (!existsSync(shot)) continue;
    copyFileSync(shot, join(root, 'docs', png));
    taken.push(`docs/${png}`);
  }
  return taken;
}

/** Each document rendered from docs/figures/, relative to `root`; render() throws when a figure it needs is missing. */
export function generatedDocs(root = installDir): { path: string; render(): string }[] {
  const faults = (): FaultFigures => readJson<FaultFigures>(join(root, faultsFile), { items: {}, tests: {} });
  const benches = (): Benches => readJson<Benches>(join(root, benchesFile), {});
  const read = (path: string): string => readFileSync(join(root, path), 'utf8');
  return [
    { path: 'docs/reliability.md', render: () => renderReliability(faults(), read('test/faults/hostile-input.md')) },
    { path: 'docs/fleet-scale.md', render: () => fillMarkers(read('docs/fleet-scale.md'), fleetScaleFigures(faults(), benches()), 'docs/fleet-scale.md') },
    {
      path: 'README.md',
      render: () => fillMarkers(read('README.md'), { performance: `\n${performanceSection(benches())}\n`, 'web-idle-cpu': webIdleSentence(benches()) }, 'README.md'),
    },
    {
      path: 'kernels/README.md',
      render: () => {
        const arm = benchRun<ArmFigures>(benches(), readmeCommands.arm);
        const boards = ['pi3', 'pi4', 'pi5'];
        return fillMarkers(read('kernels/README.md'), {
          'arm-output': armOutputBlock(arm),
          ...Object.fromEntries(boards.map((b) => [`arm-now-${b}`, mobilenetCell(arm, b)])),
          ...Object.fromEntries(boards.map((b) => [`arm-loop-${b}`, gemmLoopRate(arm, b)])),
        }, 'kernels/README.md');
      },
    },
  ];
}
