// What a benchmark printed, kept for the docs. Every run writes its figures as JSON under
// reports/bench/ (git-ignored), one file per command line, so that a short run with other
// options never replaces the figures of the command the docs show; `npm run docs:update`
// takes the runs of the commands the docs show into docs/figures/benches.json.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDir } from '../../agent/core/install-dir.js';
import { commandLine, provenance, type Provenance } from './provenance.js';

export interface BenchRecord<F = unknown> {
  provenance: Provenance;
  figures: F;
}

/** The build folder for what test and benchmark runs measured; never tracked. */
export const reportsDir = join(installDir, 'reports');
export const benchReportsDir = join(reportsDir, 'bench');
/** The web tests' screenshots of the device page and the fleet view, which the README shows. */
export const screenshotsDir = join(reportsDir, 'screenshots');

/**
 * This process's command line as a user types it: `npm run <script>` and its arguments.
 * --json is left out: it changes the form of the output, not the figures.
 */
export function npmCommand(script: string, args = process.argv.slice(2)): string {
  const kept = args.filter((a) => a !== '--json');
  return commandLine(['npm', 'run', script, ...(kept.length > 0 ? ['--', ...kept] : [])]);
}

const fileName = (command: string): string => `${command.replace(/^(npm run|node) /, '').replace(' -- ', ' ').replace(/[^\w.,=-]+/g, '_').slice(0, 200)}.json`;

export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Records what `command` measured; returns the file written. */
export function recordBench(command: string, figures: unknown, dir = benchReportsDir): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fileName(command));
  const record: BenchRecord = { provenance: provenance(command), figures };
  writeAtomically(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** Every benchmark run recorded in `dir`, by command (none when the folder does not exist). */
export function readBenchRecords(dir = benchReportsDir): Map<string, BenchRecord> {
  const records = new Map<string, BenchRecord>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return records;
    throw err;
  }
  for (const file of files) {
    const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as BenchRecord;
    records.set(record.provenance.command, record);
  }
  return records;
}
