// Item 4 of issue 5, USB camera: the agent runs camera.type usb with the fake fswebcam of
// test/fixtures/camera first on PATH, whose behaviour a mode file switches while the agent
// runs (fail, gone, stall, garbage, empty), and whose image is swapped for a truncated JPEG.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeBin, processGone } from '../agent/camera/fake-camera.js';
import { Mosquitto } from '../support/mosquitto.js';
import { imagePath } from '../support/paths.js';
import type { Recorder } from '../support/recorder.js';
import { drill, drillFigures, watchDevice } from './camera-drill.js';
import { recordFigure } from './report.js';
import { cleanup, scratchDir, startAgent, writeConfig } from './support.js';

const DEVICE = 'fault-4-usb';
let work: string;
let broker: Mosquitto;
let watch: Recorder;

beforeAll(async () => {
  work = scratchDir('camera-usb');
  broker = await Mosquitto.start();
  watch = await watchDevice(broker.url, DEVICE);
});

afterAll(async () => {
  await watch?.close();
  await broker?.cleanup();
  await cleanup();
});

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 4: USB camera faults (fake fswebcam on PATH)', { timeout: 180_000 }, () => {
  it('reports each fault as degraded in telemetry, stays up, kills hung captures, and recovers by itself', async () => {
    const modeFile = `${work}/mode`;
    const frame = `${work}/frame.jpg`;
    const stallPid = `${work}/stall.pid`;
    copyFileSync(imagePath('parrot.jpg'), frame);
    const config = writeConfig(work, {}, 'camera:\n  type: usb\n  captureTimeoutSeconds: 1\n  usb:\n    device: /dev/video0\n');
    const agent = startAgent(['--mqtt-url', broker.url, '--device-id', DEVICE, '--data-dir', `${work}/data`, '--config', config, '--fps', '5'], {
      PATH: `${fakeBin}:${process.env.PATH}`,
      FAKE_CAMERA_MODE_FILE: modeFile,
      FAKE_CAMERA_IMAGE: frame,
      FAKE_CAMERA_STALL_PID: stallPid,
    });
    const mode = (word: string) => () => writeFileSync(modeFile, `${word}\n`);
    const clear = () => rmSync(modeFile, { force: true });
    const parrot = readFileSync(imagePath('parrot.jpg'));
    const outcomes = await drill(agent, watch, DEVICE, [
      { name: 'fswebcam fails (exit 1)', part: 'camera', reason: /fswebcam on \/dev\/video0 failed \(exit 1\): VIDIOC_DQBUF/, inject: mode('fail'), clear },
      { name: 'the device gone and back (exit 255)', part: 'camera', reason: /failed \(exit 255\): stat: No such file or directory/, inject: mode('gone'), clear },
      { name: 'fswebcam hangs', part: 'camera', reason: /took longer than 1 s|no frame within 1 s/, inject: mode('stall'), clear },
      { name: 'garbage instead of a JPEG', part: 'camera', reason: /not a JPEG image/, inject: mode('garbage'), clear },
      { name: 'no image at all', part: 'camera', reason: /wrote no image/, inject: mode('empty'), clear },
      {
        name: 'corrupt frames (a truncated JPEG)', part: 'frames', reason: /\/dev\/video0: /,
        inject: () => writeFileSync(frame, parrot.subarray(0, parrot.length >> 1)), clear: () => writeFileSync(frame, parrot),
      },
    ]);
    // A hung fswebcam is killed with everything it started, not left behind.
    const sleeper = Number(readFileSync(stallPid, 'utf8'));
    expect(processGone(sleeper), `the stalled capture's child ${sleeper}`).toBe(true);
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.logs().filter((l) => (l.level as number) >= 60)).toEqual([]);

    recordFigure('4', 'USB camera (fake fswebcam on PATH)', {
      ...drillFigures(outcomes),
      'capture errors counted by the end': outcomes.at(-1)!.captureErrors,
      'hung fswebcam children left running': 0,
      'agent exits': 0,
    }, 'The agent ran camera.type usb at 5 fps with test/fixtures/camera/bin/fswebcam first on PATH (a real child process per ' +
      'capture, camera.captureTimeoutSeconds 1). A mode file switched the fake to fail (exit 1), gone (exit 255, no device), ' +
      'stall (hangs in a child), garbage (not a JPEG) and empty (no output), then its image was replaced by a truncated ' +
      'JPEG. For each: telemetry `degraded` naming the part and the cause, then after the clear results again and `ok`, ' +
      'with no restart; the process the stall left hanging had been killed. Finally SIGTERM: exit 0.');
  });
});
