// The fault suite's report: the renderer of docs/reliability.md on figures made up here, and
// the writer the fault tests call, which must leave every tracked file as it was.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReliability, type TestRecord } from '../../bench/figures/reliability.js';
import { repoRoot } from '../support/paths.js';
import { describeItem, figuresFile, recordFigure } from './report.js';

const provenance = {
  command: 'npx vitest run test/faults/x.test.ts', date: '2026-11-28T10:00:00.000Z', commit: '0123456789abcdef0123456789abcdef01234567', dirty: true,
  cpu: 'Test CPU', cores: 4, memoryGb: 8, node: 'v20.0.0', platform: 'linux x64', loadAverage: 1.5,
};
const record = (item: string, test: string, figures: TestRecord['figures']): TestRecord =>
  ({ item, test, whatItDid: `did ${test}`, figures, provenance });

describe('renderReliability', () => {
  it('orders items by number, lists each test with its figures and where they come from, and ends with the hostile input section', () => {
    const md = renderReliability({
      items: { '10': { title: 'Ten', onAPi: 'slower' }, '2': { title: 'Two', onAPi: 'SD card fsync' } },
      tests: {
        a: record('10', 'fleet', { 'p95 latency (ms)': 12.34567 }),
        b: record('2', 'kill', { lost: 0, note: 'a|b' }),
      },
    }, '## Hostile input and operator mistakes\n\n| case |\n');
    expect(md.indexOf('## 2. Two')).toBeGreaterThan(0);
    expect(md.indexOf('## 2. Two')).toBeLessThan(md.indexOf('## 10. Ten'));
    expect(md).toContain('**On a Raspberry Pi (reasoning, not measured):** SD card fsync');
    expect(md).toContain('| p95 latency (ms) | 12.346 |');
    expect(md).toContain('| note | a\\|b |');
    expect(md).toContain('Measured on: Test CPU, 4 cores, 8 GB, Node v20.0.0, linux x64.');
    expect(md).toContain('_Printed by `npx vitest run test/faults/x.test.ts` on 2026-11-28 10:00 UTC, commit 0123456789 with uncommitted changes; Test CPU, 4 cores, 8 GB, 1-minute load average 1.5 when recorded; Node v20.0.0, linux x64._');
    expect(md).toContain('Do not edit by hand');
    expect(md.indexOf('## Hostile input and operator mistakes')).toBeGreaterThan(md.indexOf('## 10. Ten'));
  });

  it('shows an item described but not yet measured', () => {
    expect(renderReliability({ items: { '7': { title: 'Security', onAPi: '' } }, tests: {} }, '')).toContain('## 7. Security\n\n_No figures recorded yet._');
  });
});

/** git's view of the working tree: each changed or untracked path (ignored ones left out) with a hash of what it holds. */
function treeState(): Record<string, string> {
  const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  const state: Record<string, string> = {};
  for (const entry of status.split('\0').filter(Boolean)) {
    const path = entry.slice(3);
    const file = `${repoRoot}${path}`;
    state[entry] = existsSync(file) ? createHash('sha1').update(readFileSync(file)).digest('hex') : 'gone';
  }
  return state;
}

describe('the report writer', () => {
  it('writes into the git-ignored reports/ folder and changes no tracked file', () => {
    const before = treeState();
    const kept = existsSync(figuresFile) ? readFileSync(figuresFile) : null;
    try {
      describeItem('report-test', 'The writer itself', 'not a figure');
      recordFigure('report-test', 'one record', { answer: 42 }, 'recorded by test/faults/report.test.ts');
      expect(treeState()).toEqual(before);
      const written = JSON.parse(readFileSync(figuresFile, 'utf8')) as { tests: Record<string, TestRecord> };
      const mine = written.tests['report-test::one record'];
      expect(mine.figures).toEqual({ answer: 42 });
      expect(mine.provenance.command).toBe('npx vitest run test/faults/report.test.ts');
      expect(mine.provenance.commit).toMatch(/^[0-9a-f]{40}$/);
      // Ignored by git, so that no run can make the tree differ from a commit.
      execFileSync('git', ['check-ignore', '--quiet', figuresFile], { cwd: repoRoot });
    } finally {
      if (kept) writeFileSync(figuresFile, kept);
      else rmSync(figuresFile, { force: true });
    }
  });
});
