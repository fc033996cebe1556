// Item 2 of issue 5: the agent killed (kill -9) mid-stream and restarted on the same data
// dir, twice: once while it is connected and publishing, once with a backlog in its outbox
// (the network cut first). What it had recorded is read from its outbox file after each
// kill, and every one of those results must reach a durable subscriber after the restart;
// seq must carry on from the last recorded result, with no gap.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLog, RecordType } from '../../agent/outbox/outbox-log.js';
import { TcpProxy } from '../agent/mqtt/tcp-proxy.js';
import type { AgentProcess } from '../support/agent-process.js';
import { Mosquitto } from '../support/mosquitto.js';
import { Recorder } from '../support/recorder.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, imageFolder, killAgent, loggedSeqs, scratchDir, seconds, seqStream, startAgent, waitForLog, writeConfig } from './support.js';

const FPS = 10;
const DEVICE = 'fault-2';
let work: string;
let broker: Mosquitto;
let proxy: TcpProxy;
let sub: Recorder;

beforeAll(async () => {
  work = scratchDir('agent-kill');
  broker = await Mosquitto.start();
  proxy = await TcpProxy.start(broker.port);
  sub = await Recorder.connect(broker.url, [`edge/${DEVICE}/result`], { clientId: 'faults-2-sub', clean: false });
  describeItem(
    '2',
    'Agent killed (kill -9) mid-stream and restarted on the same data dir',
    'The counts would not change. What a kill can lose is a result not yet on disk, which was never published either; ' +
      'on a Pi the window is longer (an SD card fsync takes 5-50 ms, far longer than this machine\'s disk), so more ' +
      'results would be in flight at a kill, and start-up (reading the outbox, loading the model) takes seconds, ' +
      'several times longer than here, which lengthens restart -> backlog delivered.',
  );
});

afterAll(async () => {
  await sub?.close();
  await proxy?.close();
  await broker?.cleanup();
  await cleanup();
});

/** What the outbox file holds: every result recorded, and those not yet acknowledged. */
function outboxOnDisk(dataDir: string): { recorded: number[]; pending: number[] } {
  const { records } = parseLog(readFileSync(`${dataDir}/outbox/results.log`));
  const recorded: number[] = [];
  const removed = new Set<number>();
  for (const r of records) {
    const json = JSON.parse(r.payload.toString('utf8'));
    if (r.type === RecordType.result) recorded.push(json.seq);
    if (r.type === RecordType.removed) for (const [from, to] of json as [number, number][]) for (let s = from; s <= to; s++) removed.add(s);
  }
  return { recorded, pending: recorded.filter((s) => !removed.has(s)) };
}

const receivedSeqs = (): number[] => sub.results().map((r) => r.seq);

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 2: agent killed mid-stream', { timeout: 180_000 }, () => {
  it('delivers everything it had recorded after a restart, seq carrying on without a gap', async () => {
    const images = imageFolder(work);
    const config = writeConfig(work);
    const dataDir = `${work}/data`;
    const args = ['--simulate', '--images', images, '--mqtt-url', proxy.url, '--device-id', DEVICE, '--data-dir', dataDir, '--config', config, '--fps', String(FPS)];
    const runs: AgentProcess[] = [];
    const kills: { pending: number; lastRecorded: number; resumedAt: number }[] = [];

    // Kill 1: connected and publishing, results in flight.
    let agent = startAgent(args);
    runs.push(agent);
    await sub.until((r) => r.results().length >= 20, '20 results from the first run');
    await waitForLog(agent, (l) => l.msg === 'result' && (l.seq as number) >= Math.max(...receivedSeqs()) + 2, 'results in flight');
    await killAgent(agent);
    let disk = outboxOnDisk(dataDir);
    kills.push({ pending: disk.pending.length, lastRecorded: Math.max(...disk.recorded), resumedAt: -1 });

    // Kill 2: the network cut first, so the outbox holds a backlog the broker never saw.
    agent = startAgent(args);
    runs.push(agent);
    const firstOfRun2 = await waitForLog(agent, (l) => l.msg === 'result', 'the first result of the second run');
    kills[0].resumedAt = firstOfRun2.seq as number;
    await waitForLog(agent, (l) => l.msg === 'connected to the MQTT broker', 'the second run connecting');
    proxy.block();
    proxy.cut();
    await waitForLog(agent, (l) => l.msg?.startsWith('lost the MQTT broker connection') ?? false, 'the cut noticed');
    const cutAt = Math.max(...loggedSeqs(agent));
    await waitForLog(agent, (l) => l.msg === 'result' && (l.seq as number) >= cutAt + 25, '25 results recorded with the network cut');
    await killAgent(agent);
    disk = outboxOnDisk(dataDir);
    kills.push({ pending: disk.pending.length, lastRecorded: Math.max(...disk.recorded), resumedAt: -1 });
    expect(disk.pending.length, 'the backlog recorded while the network was cut').toBeGreaterThanOrEqual(25);
    proxy.unblock();

    // The last run delivers the backlog, adds 20 results, and exits once all are delivered.
    agent = startAgent([...args, '--max-frames', '20']);
    runs.push(agent);
    const restartedAt = Date.now();
    const firstOfRun3 = await waitForLog(agent, (l) => l.msg === 'result', 'the first result of the last run');
    kills[1].resumedAt = firstOfRun3.seq as number;
    const backlog = disk.pending;
    await sub.until((r) => backlog.every((s) => r.results().some((x) => x.seq === s)), `the backlog of ${backlog.length} results`);
    const backlogDeliveredAt = Date.now();
    expect(await agent.exited, agent.stderr).toBe(0);

    for (const [i, kill] of kills.entries()) {
      expect(kill.resumedAt, `seq after kill ${i + 1}`).toBe(kill.lastRecorded + 1);
    }
    // Every seq any run recorded (its log says "result" only once recorded) arrived.
    const produced = runs.flatMap((r) => loggedSeqs(r));
    const lastSeq = Math.max(...produced, ...kills.map((k) => k.lastRecorded));
    await sub.until((r) => seqStream(r.results().map((x) => x.seq), 0, lastSeq).missing.length === 0, `every seq up to ${lastSeq}`);
    const stream = seqStream(receivedSeqs(), 0, lastSeq);
    expect(stream.missing).toEqual([]);
    expect(stream.outOfOrder).toEqual([]);
    expect(new Set(produced).size, 'no seq given to two results').toBe(produced.length);

    recordFigure('2', 'kill -9 while publishing, then with a backlog', {
      'frames per second': FPS,
      'results produced (3 runs)': lastSeq + 1,
      'kill 1 (connected): results recorded, not yet acknowledged': kills[0].pending,
      'kill 2 (network cut): results recorded, never published': kills[1].pending,
      'restart -> backlog delivered (s)': seconds(backlogDeliveredAt - restartedAt),
      'seqs missing': stream.missing.length,
      'seq gaps or reuse across the kills': 0,
      'duplicates received': stream.duplicates,
    }, `The agent ran at ${FPS} fps against mosquitto through a TCP proxy, with a durable subscriber. It was killed with SIGKILL ` +
      'mid-stream while connected (results in flight), restarted on the same data dir, then the network was cut (the proxy ' +
      'dropped and refused connections), the agent recorded 25 more results, and was killed again. After each kill the ' +
      'outbox file was read: the results still pending there had to arrive after the restart, and the restarted agent\'s ' +
      'first seq had to be the last recorded seq + 1. A last run with --max-frames 20 delivered the backlog and exited 0; ' +
      'every seq from 0 to the last arrived, first arrivals in order; duplicates (results published before a kill whose ' +
      'acknowledgement had not been recorded) are counted.');
  });
});
