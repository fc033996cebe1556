// StreamCamera with an in-process stream: newest frame wins and the replaced ones are
// counted, a stream that ends fails the capture with its reason and the next capture
// starts it again (counted as a restart), and close() ends the stream and the captures.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { StreamFrame } from '../../../../agent/camera/stream/stream-camera.js';
import { StreamCamera, type StreamOpener } from '../../../../agent/camera/stream/stream-camera.js';
import { RunStats } from '../../../../agent/telemetry/run-stats.js';

/** A stream whose frames and end the test pushes by hand. */
function fakeStream() {
  const runs: { frame: (f: StreamFrame) => void; ended: (reason: string) => void; stopped: boolean }[] = [];
  const open: StreamOpener = (frame, ended) => {
    const run = { frame, ended, stopped: false };
    runs.push(run);
    return { stop: async () => void (run.stopped = true) };
  };
  const push = (n: number): void => runs.at(-1)!.frame({ data: Buffer.from(`frame ${n}`), source: 'cam' });
  return { runs, open, push };
}

const setup = () => {
  const stats = new RunStats();
  const stream = fakeStream();
  const camera = new StreamCamera('test-cam', stream.open, { log: pino({ level: 'silent' }), stats });
  return { stats, stream, camera };
};

describe('StreamCamera', () => {
  it('opens the stream at the first capture and waits for its next frame', async () => {
    const { stream, camera, stats } = setup();
    expect(stream.runs).toHaveLength(0);
    const first = camera.capture();
    expect(stream.runs).toHaveLength(1);
    stream.push(1);
    expect((await first).data.toString()).toBe('frame 1');
    expect(stats.stream.frames).toBe(1);
    expect(stats.framesDropped).toBe(0);
  });

  it('hands out the newest frame; the ones it replaced are dropped and counted, never queued', async () => {
    const { stream, camera, stats } = setup();
    const first = camera.capture();
    stream.push(1);
    await first;
    for (let n = 2; n <= 6; n++) stream.push(n);
    expect((await camera.capture()).data.toString()).toBe('frame 6');
    expect(stats.framesDropped).toBe(4);
    expect(stats.stream.frames).toBe(6);
    // Nothing left: the next capture waits for a new frame rather than returning an old one.
    const next = camera.capture();
    stream.push(7);
    expect((await next).data.toString()).toBe('frame 7');
  });

  it('fails the waiting capture with the reason the stream ended, and starts it again at the next capture', async () => {
    const { stream, camera, stats } = setup();
    const waiting = camera.capture();
    stream.runs[0].ended('ffmpeg (cam) ended (exit 1): Connection refused');
    await expect(waiting).rejects.toThrow('Connection refused');
    const again = camera.capture();
    expect(stream.runs).toHaveLength(2);
    expect(stats.stream.restarts).toBe(1);
    stream.push(1);
    expect((await again).data.toString()).toBe('frame 1');
  });

  it('reports an end that happened while nobody waited at the next capture, once', async () => {
    const { stream, camera } = setup();
    const first = camera.capture();
    stream.push(1);
    await first;
    stream.runs[0].ended('rpicam-vid ended (killed by SIGKILL)');
    await expect(camera.capture()).rejects.toThrow('killed by SIGKILL');
    expect(stream.runs).toHaveLength(1);
    const next = camera.capture();
    expect(stream.runs).toHaveLength(2);
    stream.push(2);
    await expect(next).resolves.toMatchObject({ source: 'cam' });
  });

  it('ignores frames and ends of a stream it has already left', async () => {
    const { stream, camera } = setup();
    const waiting = camera.capture();
    const old = stream.runs[0];
    old.ended('gone');
    await expect(waiting).rejects.toThrow('gone');
    const next = camera.capture();
    old.frame({ data: Buffer.from('stale'), source: 'cam' });
    old.ended('gone again');
    stream.push(3);
    expect((await next).data.toString()).toBe('frame 3');
  });

  it('close() stops the stream and fails the waiting capture; later captures fail at once', async () => {
    const { stream, camera } = setup();
    const waiting = camera.capture();
    await camera.close();
    await expect(waiting).rejects.toThrow(/test-cam: the camera was closed/);
    expect(stream.runs[0].stopped).toBe(true);
    await expect(camera.capture()).rejects.toThrow(/closed/);
    expect(stream.runs).toHaveLength(1);
  });
});
