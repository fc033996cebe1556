// The renderer of docs/reliability.md, on figures made up here (the real file is left alone).
import { describe, expect, it } from 'vitest';
import { render, type TestRecord } from './report.js';

const machine = { cpu: 'Test CPU', cores: 4, memoryGb: 8, node: 'v20.0.0', platform: 'linux x64' };
const record = (item: string, test: string, figures: TestRecord['figures']): TestRecord =>
  ({ item, test, whatItDid: `did ${test}`, figures, recordedAt: '2026-11-28T10:00:00.000Z', machine });

describe('render', () => {
  it('orders items by number, lists each test with its figures, and states the machine and the Pi note', () => {
    const md = render({
      items: { '10': { title: 'Ten', onAPi: 'slower' }, '2': { title: 'Two', onAPi: 'SD card fsync' } },
      tests: {
        a: record('10', 'fleet', { 'p95 latency (ms)': 12.34567 }),
        b: record('2', 'kill', { lost: 0, note: 'a|b' }),
      },
    });
    expect(md.indexOf('## 2. Two')).toBeGreaterThan(0);
    expect(md.indexOf('## 2. Two')).toBeLessThan(md.indexOf('## 10. Ten'));
    expect(md).toContain('**On a Raspberry Pi:** SD card fsync');
    expect(md).toContain('| p95 latency (ms) | 12.346 |');
    expect(md).toContain('| note | a\\|b |');
    expect(md).toContain('Measured on: Test CPU, 4 cores, 8 GB, Node v20.0.0, linux x64.');
    expect(md).toContain('Do not edit by hand');
  });

  it('shows an item described but not yet measured', () => {
    expect(render({ items: { '7': { title: 'Security', onAPi: '' } }, tests: {} })).toContain('## 7. Security\n\n_No figures recorded yet._');
  });
});
