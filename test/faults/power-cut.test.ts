// Item 3 of issue 5: a power cut while the outbox was being written. A real agent records
// 40 results with no broker to send them to; copies of its data dir are then damaged the
// ways a power cut leaves an append-only file (cut at random points, a torn last record
// whose tail is zeros or stale bytes, a cut right after a header, a cut on a record
// boundary) plus a zeroed sector mid-file (media damage), and the real agent is started
// on each: the damaged record must be reported in its log, the rest delivered, and seq
// must carry on after the last intact record.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLog, RecordType, type LogRecord } from '../../agent/outbox/outbox-log.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { mulberry32 } from '../support/rng.js';
import { Recorder } from '../support/recorder.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, imageFolder, loggedSeqs, scratchDir, seconds, startAgent, writeConfig, type LogLine } from './support.js';

const RESULTS = 40;
const SEED = 20261128;
let work: string;
let images: string;
let config: string;
let broker: Mosquitto;
let pristine: Buffer;
let records: LogRecord[];

beforeAll(async () => {
  work = scratchDir('power-cut');
  images = imageFolder(work);
  config = writeConfig(work);
  broker = await Mosquitto.start();
  // Nothing listens on this port: every result stays in the outbox.
  const nowhere = `mqtt://127.0.0.1:${await freePort()}`;
  const agent = startAgent(['--simulate', '--images', images, '--mqtt-url', nowhere, '--device-id', 'fault-3', '--data-dir', `${work}/pristine`,
    '--config', config, '--fps', '20', '--max-frames', String(RESULTS)]);
  expect(await agent.exited, agent.stderr).toBe(0);
  pristine = readFileSync(`${work}/pristine/outbox/results.log`);
  records = parseLog(pristine).records;
  expect(records.filter((r) => r.type === RecordType.result)).toHaveLength(RESULTS);
  describeItem(
    '3',
    'Power cut while the outbox was written',
    `Recovery is a scan of the log at start: linear in its size (below, the size for ${RESULTS} results; at the 10,000-record bound ${Math.round(10_000 / RESULTS)} times that), ` +
      'so start-up would take longer on a Pi\'s slower CPU and SD card, but what is recovered and reported does not ' +
      'depend on the machine. What a real power cut leaves depends on the file system (ext4 data=ordered, the Pi OS ' +
      'default, can leave a zero-filled tail after a crash; the torn-zeros case is that).',
  );
});

afterAll(async () => {
  await broker?.cleanup();
  await cleanup();
});

interface Damage {
  name: string;
  bytes: Buffer;
  /** Offset of the first damaged record, or null when the cut fell on a record boundary. */
  damagedAt: number | null;
}

const end = (r: LogRecord): number => r.offset + 10 + r.payload.length;
const seqOf = (r: LogRecord): number => JSON.parse(r.payload.toString('utf8')).seq as number;

function damages(): Damage[] {
  const random = mulberry32(SEED);
  const last = records.at(-1)!;
  const out: Damage[] = [];
  // A cut anywhere in the result records (the checkpoint record first is small and rarely hit).
  for (let i = 0; i < 6; i++) {
    const cut = records[1].offset + Math.floor(random() * (pristine.length - records[1].offset));
    const torn = records.find((r) => r.offset < cut && cut < end(r));
    out.push({ name: `cut at byte ${cut}`, bytes: pristine.subarray(0, cut), damagedAt: torn ? torn.offset : null });
  }
  const zeros = Buffer.from(pristine);
  zeros.fill(0, last.offset + 10 + (last.payload.length >> 1));
  out.push({ name: 'last record torn, tail zero-filled', bytes: zeros, damagedAt: last.offset });
  const stale = Buffer.from(pristine);
  for (let i = last.offset + 10 + 7; i < stale.length; i++) stale[i] = Math.floor(random() * 256);
  out.push({ name: 'last record torn, tail of stale bytes', bytes: stale, damagedAt: last.offset });
  out.push({ name: 'cut right after the last header', bytes: pristine.subarray(0, last.offset + 10), damagedAt: last.offset });
  const boundary = records[25];
  out.push({ name: 'cut on a record boundary', bytes: pristine.subarray(0, boundary.offset), damagedAt: null });
  const middle = Buffer.from(pristine);
  const hit = records[15];
  middle.fill(0, hit.offset + 4, hit.offset + 4 + 64);
  out.push({ name: '64 zero bytes over a record mid-file', bytes: middle, damagedAt: hit.offset });
  return out;
}

/** The result records of `bytes` that are intact, by construction of the damage (not by the parser under test). */
function intactSeqs(d: Damage): number[] {
  return records
    .filter((r) => r.type === RecordType.result)
    .filter((r) => end(r) <= d.bytes.length && (d.damagedAt === null || r.offset !== d.damagedAt))
    .map(seqOf);
}

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 3: power cut while writing', { timeout: 180_000 }, () => {
  it('reports the damaged record, delivers the rest and carries seq on, for each kind of damage', async () => {
    const cases = damages();
    const outcomes: { reportedBytes: number; recovered: number; lost: number; ms: number }[] = [];
    const runCase = async (d: Damage, i: number): Promise<void> => {
      const device = `fault-3-${i}`;
      const dataDir = `${work}/case-${i}`;
      cpSync(`${work}/pristine`, dataDir, { recursive: true });
      writeFileSync(`${dataDir}/outbox/results.log`, d.bytes);
      const expected = intactSeqs(d);
      const sub = await Recorder.connect(broker.url, [`edge/${device}/result`]);
      try {
        const started = Date.now();
        const agent = startAgent(['--simulate', '--images', images, '--mqtt-url', broker.url, '--device-id', device, '--data-dir', dataDir,
          '--config', config, '--fps', '20', '--max-frames', '1']);
        expect(await agent.exited, `${d.name}: ${agent.stderr}`).toBe(0);
        const newSeq = loggedSeqs(agent)[0];
        expect(newSeq, `${d.name}: seq after the last intact record`).toBe(Math.max(-1, ...expected) + 1);
        await sub.until((r) => r.results().some((x) => x.seq === newSeq), `${d.name}: the new result`);
        const delivered = [...new Set(sub.results().map((r) => r.seq))].sort((a, b) => a - b);
        expect(delivered, d.name).toEqual([...expected, newSeq]);
        const ms = Date.now() - started;

        const reports = (agent.logs() as LogLine[]).filter((l) => /^outbox: skipped \d+ damaged bytes/.test(l.msg ?? ''));
        if (d.damagedAt === null) {
          expect(reports, `${d.name}: nothing to report`).toEqual([]);
        } else {
          expect(reports, `${d.name}: one report`).toHaveLength(1);
          const spans = reports[0].damaged as { offset: number; bytes: number }[];
          expect(spans[0].offset, `${d.name}: the damaged record's offset`).toBe(d.damagedAt);
          expect(reports[0].file).toBe(`${dataDir}/outbox/results.log`);
          expect(reports[0].level).toBe(40);
        }
        // The agent rewrote its log at start: the damage is gone for the next start.
        expect(parseLog(readFileSync(`${dataDir}/outbox/results.log`)).damaged, d.name).toEqual([]);
        const spans = (reports[0]?.damaged ?? []) as { bytes: number }[];
        outcomes[i] = { reportedBytes: spans.reduce((n, s) => n + s.bytes, 0), recovered: expected.length, lost: RESULTS - expected.length, ms };
      } finally {
        await sub.close();
      }
    };
    // Three at a time: each case is an agent start-up, mostly waiting.
    for (let i = 0; i < cases.length; i += 3) await Promise.all(cases.slice(i, i + 3).map((d, j) => runCase(d, i + j)));

    const figures: Record<string, number | string> = {
      'results in the log before the damage': RESULTS,
      'log size (bytes)': pristine.length,
      'damage cases': cases.length,
    };
    cases.forEach((d, i) => {
      const o = outcomes[i];
      figures[d.name] = `${o.recovered} delivered, ${o.lost} lost with the damage, ${o.reportedBytes} damaged bytes reported`;
    });
    figures['slowest start -> last result delivered and exit (s)'] = seconds(Math.max(...outcomes.map((o) => o.ms)));
    recordFigure('3', 'damaged outbox logs recovered by the real agent', figures,
      `A real agent recorded ${RESULTS} results with no broker reachable (results.log of ${pristine.length} bytes). Copies of its ` +
      `data dir were damaged (${cases.length} cases, seed ${SEED}) and the agent was started on each against mosquitto with ` +
      '--max-frames 1. For each: exit 0; every record wholly before the damage delivered, the torn one not; one warning ' +
      'naming the file and the offset of the torn record (none for a cut on a boundary); the new result\'s seq the last ' +
      'intact seq + 1; and the log rewritten without damage. "Lost" counts results whose record the damage destroyed: ' +
      'in a real power cut their write had not completed, so they had not been published either.');
  });
});
