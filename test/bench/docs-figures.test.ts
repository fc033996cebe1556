// The documents that show measured figures must be what docs/figures/ renders now: a figure
// typed by hand, or one left behind by a change of the renderer, fails here. The test only
// reads the tracked files; `npm run docs:update` rewrites them. Also: how the last runs'
// figures are taken from reports/ into docs/figures/, in a folder of its own.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillMarkers, generatedDocs, updateFigures } from '../../bench/figures/docs.js';
import { readmeCommands } from '../../bench/figures/performance.js';
import { provenance } from '../../bench/figures/provenance.js';
import { repoRoot } from '../support/paths.js';

describe('documents rendered from docs/figures/', () => {
  it.each(generatedDocs(repoRoot).map((d) => [d.path, d]))('%s is up to date (npm run docs:update)', (path, doc) => {
    expect(readFileSync(`${repoRoot}${path}`, 'utf8') === doc.render(), `${path} is out of date: run npm run docs:update`).toBe(true);
  });

  it('each says, beside its figures, the command that printed them, with the date, commit, CPU and Node', () => {
    for (const { path, render } of generatedDocs(repoRoot)) {
      expect(render(), path).toMatch(/Printed by `[^`]+` on \d{4}-\d\d-\d\d \d\d:\d\d UTC, commit [^;]+; [^;]+ cores[^;]*; Node v\d+/);
    }
  });
});

describe('fillMarkers', () => {
  it('replaces what is between each pair of markers, inline or as a block', () => {
    const text = 'a <!-- figures:x -->old<!-- /figures:x --> b\n<!-- figures:y -->\nold\n<!-- /figures:y -->\n';
    expect(fillMarkers(text, { x: '1 ms', y: '\n| t |\n' }, 'doc.md')).toBe('a <!-- figures:x -->1 ms<!-- /figures:x --> b\n<!-- figures:y -->\n| t |\n<!-- /figures:y -->\n');
  });

  it('refuses a marker it has no figures for, and figures without their marker', () => {
    expect(() => fillMarkers('<!-- figures:z --><!-- /figures:z -->', {}, 'doc.md')).toThrow('doc.md: <!-- figures:z --> names no figures');
    expect(() => fillMarkers('no markers', { x: '1' }, 'doc.md')).toThrow('doc.md: needs <!-- figures:x --> ... <!-- /figures:x --> once, has it 0 times');
  });
});

describe('updateFigures', () => {
  const root = mkdtempSync(join(tmpdir(), 'edge-agent-docs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the fault tests of each file that ran, keeping the other files\' figures, and the benchmark runs of the commands the docs show', () => {
    const here = provenance('npx vitest run test/faults/x.test.ts');
    const test = (item: string, name: string, file: string, answer: number): object =>
      ({ item, test: name, whatItDid: '', figures: { answer }, provenance: { ...here, command: `npx vitest run test/faults/${file}.test.ts` } });
    mkdirSync(join(root, 'docs/figures'), { recursive: true });
    writeFileSync(join(root, 'docs/figures/faults.json'), JSON.stringify({
      items: { '1': { title: 'One', onAPi: '' } },
      tests: { '1::a': test('1', 'a', 'one', 1), '1::old name of b': test('1', 'old name of b', 'two', 2), '1::c': test('1', 'c', 'two', 3) },
    }));
    mkdirSync(join(root, 'reports/faults'), { recursive: true });
    writeFileSync(join(root, 'reports/faults/figures.json'), JSON.stringify({ items: {}, tests: { '1::b': test('1', 'b', 'two', 4), '1::c': test('1', 'c', 'two', 5) } }));
    mkdirSync(join(root, 'reports/bench'), { recursive: true });
    const bench = (command: string, answer: number): object => ({ provenance: { ...here, command }, figures: { answer } });
    writeFileSync(join(root, 'reports/bench/lag.json'), JSON.stringify(bench(readmeCommands.lag, 4)));
    writeFileSync(join(root, 'reports/bench/short.json'), JSON.stringify(bench('npm run bench:lag -- --seconds 1', 5)));

    expect(updateFigures(root)).toEqual(['fault test 1::b', 'fault test 1::c', readmeCommands.lag]);
    const faults = JSON.parse(readFileSync(join(root, 'docs/figures/faults.json'), 'utf8')) as { items: object; tests: Record<string, { figures: object }> };
    expect(faults.items).toEqual({ '1': { title: 'One', onAPi: '' } });
    expect(Object.fromEntries(Object.entries(faults.tests).map(([k, t]) => [k, t.figures]))).toEqual({ '1::a': { answer: 1 }, '1::b': { answer: 4 }, '1::c': { answer: 5 } });
    const benches = JSON.parse(readFileSync(join(root, 'docs/figures/benches.json'), 'utf8')) as Record<string, { figures: object }>;
    expect(Object.keys(benches)).toEqual([readmeCommands.lag]);
    expect(benches[readmeCommands.lag].figures).toEqual({ answer: 4 });
  });
});
