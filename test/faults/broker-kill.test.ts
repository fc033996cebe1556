// Item 1 of issue 5: mosquitto killed (kill -9) mid-stream at 10 fps and restarted seconds
// later, with a durable subscriber (clean: false, QoS 1) and the real agent.
//
// What the broker can keep across its own kill -9 is its last persistence snapshot
// (autosave every second in the harness; mosquitto's default is every 30 minutes). The
// agent forgets a result when the broker acknowledges it, so a result the broker took
// after its last snapshot and had not yet handed to a subscriber dies with the broker:
// the end-to-end guarantee through a broker crash is the broker's, not the agent's. The
// first test keeps the subscriber connected, so every acknowledged result has already
// been handed over and every seq must arrive; the second measures the window with the
// subscriber away, and checks that what is lost is exactly that window and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mosquitto } from '../support/mosquitto.js';
import { Recorder } from '../support/recorder.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, imageFolder, loggedSeqs, resultRate, scratchDir, seconds, seqStream, startAgent, waitForLog, writeConfig } from './support.js';

const FPS = 10;
const DOWN_RESULTS = 30;
let work: string;
let images: string;
let config: string;
const brokers: Mosquitto[] = [];
const recorders: Recorder[] = [];

beforeAll(() => {
  work = scratchDir('broker-kill');
  images = imageFolder(work);
  config = writeConfig(work);
  describeItem(
    '1',
    'Broker killed (kill -9) mid-stream',
    'Time figures would grow: inference of this model takes a few ms here and tens of ms on a Pi 3/4, and the ' +
      'outbox fsync per group commit goes to an SD card (often 5-50 ms) instead of a local SSD; at 10 fps both stay ' +
      'inside the 100 ms frame interval on a Pi 4, so the counts (produced, missing, duplicates) should not change. ' +
      'Reconnect delay is the configured backoff (0.5 s doubling here), the same on any board.',
  );
});

afterAll(async () => {
  await Promise.all(recorders.map((r) => r.close().catch(() => {})));
  await Promise.all(brokers.map((b) => b.cleanup()));
  await cleanup();
});

async function durableSubscriber(broker: Mosquitto, clientId: string, topic: string): Promise<Recorder> {
  const sub = await Recorder.connect(broker.url, [topic], { clientId, clean: false });
  recorders.push(sub);
  return sub;
}

const agentArgs = (broker: Mosquitto, device: string) => [
  '--simulate', '--images', images, '--mqtt-url', broker.url, '--device-id', device,
  '--data-dir', `${work}/data-${device}`, '--config', config, '--fps', String(FPS),
];

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 1: broker killed mid-stream', { timeout: 180_000 }, () => {
  it('delivers every seq in order to a connected durable subscriber across a kill -9 and restart', async () => {
    const broker = await Mosquitto.start();
    brokers.push(broker);
    const device = 'fault-1a';
    const sub = await durableSubscriber(broker, 'faults-1a-sub', `edge/${device}/result`);
    // The subscriber's session must be in a snapshot, or the restarted broker forgets it.
    await broker.waitForSave();

    const agent = startAgent(agentArgs(broker, device));
    await sub.until((r) => r.results().length >= 20, '20 results before the kill');
    const killedAt = Date.now();
    const lastBeforeKill = Math.max(...loggedSeqs(agent));
    // The outbox writes in batches (outbox.flushMilliseconds, 200 ms): the frame rate must not wait for them.
    const rate = resultRate(agent);
    expect(rate, 'results per second before the kill').toBeGreaterThan(0.7 * FPS);
    await broker.kill();
    await waitForLog(agent, (l) => l.msg?.startsWith('lost the MQTT broker connection') ?? false, 'the agent noticing the broker is gone');
    // The agent keeps producing while the broker is down; wait for DOWN_RESULTS of them.
    await waitForLog(agent, (l) => l.msg === 'result' && (l.seq as number) >= lastBeforeKill + DOWN_RESULTS, `${DOWN_RESULTS} results recorded while the broker is down`);
    const producedWhileDown = Math.max(...loggedSeqs(agent)) - lastBeforeKill;
    await broker.restart();
    const restartedAt = Date.now();
    const reconnect = await waitForLog(agent, (l) => l.msg === 'reconnected to the MQTT broker', 'the agent reconnecting');
    const backlogTo = Math.max(...loggedSeqs(agent));
    await sub.until((r) => seqStream(r.results().map((x) => x.seq), 0, backlogTo).missing.length === 0, `every seq up to ${backlogTo} after the restart`, 30_000);
    const caughtUpAt = Date.now();

    expect(await agent.stop('SIGTERM')).toBe(0);
    const produced = loggedSeqs(agent);
    const lastSeq = Math.max(...produced);
    expect(produced).toEqual(Array.from({ length: lastSeq + 1 }, (_, i) => i));
    // SIGTERM delivers what is outstanding before the agent says offline and exits.
    await sub.until((r) => seqStream(r.results().map((x) => x.seq), 0, lastSeq).missing.length === 0, `every seq up to ${lastSeq} after SIGTERM`);
    const stream = seqStream(sub.results().map((x) => x.seq), 0, lastSeq);
    expect(stream.missing).toEqual([]);
    expect(stream.outOfOrder).toEqual([]);
    expect(stream.unique).toBe(lastSeq + 1);
    expect(sub.sessions.slice(1)).toContain(true);

    recordFigure('1', 'kill -9 with the durable subscriber connected', {
      'frames per second': FPS,
      'results per second achieved': Math.round(rate * 10) / 10,
      'results produced': lastSeq + 1,
      'results produced while the broker was down': producedWhileDown,
      'broker down (s)': seconds(restartedAt - killedAt),
      'agent outbox depth when it reconnected': reconnect.outboxDepth as number,
      'broker restart -> agent reconnected (s)': seconds((reconnect.time as number) - restartedAt),
      'broker restart -> subscriber had every seq (s)': seconds(caughtUpAt - restartedAt),
      'seqs missing': stream.missing.length,
      'first arrivals out of order': stream.outOfOrder.length,
      'duplicates received': stream.duplicates,
    }, `A durable subscriber (clean: false, QoS 1) on edge/${device}/result, its session saved by mosquitto (autosave every second). ` +
      `The agent ran at ${FPS} fps; after 20 results mosquitto was killed with SIGKILL, the agent went on until it had recorded ` +
      `${DOWN_RESULTS} more results in its outbox, mosquitto was restarted on the same port and persistence file, and the agent ` +
      'was stopped with SIGTERM once the subscriber had caught up. Every seq from 0 to the last must have arrived, first arrivals ' +
      'in seq order; duplicates (results whose acknowledgement died with the broker, or that its snapshot still held) are counted.');
  });

  it('loses, with the subscriber away, only what mosquitto acknowledged after its last snapshot', async () => {
    const broker = await Mosquitto.start();
    brokers.push(broker);
    const device = 'fault-1b';
    const topic = `edge/${device}/result`;
    let sub = await durableSubscriber(broker, 'faults-1b-sub', topic);
    await broker.waitForSave();
    const agent = startAgent(agentArgs(broker, device));
    await sub.until((r) => r.results().length >= 10, '10 results with the subscriber connected');
    await sub.close();
    const lastSeen = Math.max(...sub.results().map((r) => r.seq));

    // The broker now queues results for the absent subscriber and acknowledges them to the
    // agent, which forgets them; only its snapshots keep them.
    await waitForLog(agent, (l) => l.msg === 'result' && (l.seq as number) >= lastSeen + 15, '15 results queued for the absent subscriber');
    await broker.waitForSave();
    const savedAt = Date.now();
    const producedBySave = Math.max(...loggedSeqs(agent));
    // Half a snapshot interval after the save: results acknowledged since are in memory only.
    await waitForLog(agent, (l) => l.msg === 'result' && (l.time as number) >= savedAt + 500, 'results after the snapshot');
    await broker.kill();
    const killedAt = Date.now();
    await waitForLog(agent, (l) => l.msg?.startsWith('lost the MQTT broker connection') ?? false, 'the agent noticing the broker is gone');
    await broker.restart();
    await waitForLog(agent, (l) => l.msg === 'reconnected to the MQTT broker', 'the agent reconnecting');
    expect(await agent.stop('SIGTERM')).toBe(0);
    const lastSeq = Math.max(...loggedSeqs(agent));

    sub = await durableSubscriber(broker, 'faults-1b-sub', topic);
    expect(sub.sessions[0]).toBe(true);
    await sub.until((r) => r.results().some((x) => x.seq === lastSeq), `the last seq ${lastSeq}`);
    const stream = seqStream(sub.results().map((x) => x.seq), lastSeen + 1, lastSeq);
    // What is missing is one run of results the broker took between its snapshot and its death:
    // everything saved before the snapshot and everything the agent still held arrived.
    const lost = stream.missing;
    if (lost.length > 0) {
      expect(lost.at(-1)! - lost[0] + 1, `lost seqs are one run: ${lost.join(',')}`).toBe(lost.length);
      expect(lost[0], `lost ${lost.join(',')} though the snapshot was taken after seq ${producedBySave}`).toBeGreaterThan(producedBySave - FPS);
    }
    // A kill 0.5 s or more after a 1 s snapshot loses at most 1.5 s of results.
    expect(lost.length).toBeLessThanOrEqual(Math.ceil(1.5 * FPS) + 2);
    expect(stream.outOfOrder).toEqual([]);

    recordFigure('1', 'kill -9 with the durable subscriber away (what mosquitto keeps)', {
      'frames per second': FPS,
      'results while the subscriber was away': lastSeq - lastSeen,
      'snapshot -> kill (s)': seconds(killedAt - savedAt),
      'results lost with the broker (acknowledged after its last snapshot)': lost.length,
      'results lost otherwise': 0,
      'duplicates received': stream.duplicates,
    }, 'The durable subscriber disconnected; mosquitto queued results for it and acknowledged them to the agent, which forgot ' +
      'them. mosquitto was killed with SIGKILL at least 0.5 s after a persistence snapshot (autosave_interval 1) and restarted; ' +
      'the subscriber reconnected to its saved session. Results taken after the snapshot were lost with the broker, one ' +
      'contiguous run and nothing else: results saved in the snapshot and those the agent still held all arrived. This is ' +
      'mosquitto\'s limit, not the agent\'s: use autosave_on_changes (or a broker with synchronous persistence, see item 10) ' +
      'where a broker crash with consumers offline must lose nothing.');
  });
});
