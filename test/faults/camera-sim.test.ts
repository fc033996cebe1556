// Item 4 of issue 5, simulated camera: the faults of its .faults file (error, stall,
// corrupt) and its folder renamed away and back, each injected into a running agent.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mosquitto } from '../support/mosquitto.js';
import type { Recorder } from '../support/recorder.js';
import { drill, drillFigures, watchDevice } from './camera-drill.js';
import { describeItem, recordFigure } from './report.js';
import { cleanup, imageFolder, scratchDir, startAgent, writeConfig } from './support.js';

const DEVICE = 'fault-4-sim';
let work: string;
let broker: Mosquitto;
let watch: Recorder;

beforeAll(async () => {
  work = scratchDir('camera-sim');
  broker = await Mosquitto.start();
  watch = await watchDevice(broker.url, DEVICE);
  describeItem(
    '4',
    'Camera faults: errors, a stall, corrupt frames, a device that disappears and returns',
    'Detection is bounded by the telemetry interval (1 s here) and camera.captureTimeoutSeconds (1 s here), recovery ' +
      'by the capture backoff (0.5 s doubling per failed capture): configuration, not hardware, so these times carry ' +
      'over to a Pi with its configured values. A real USB camera adds its own time to re-enumerate after being ' +
      'replugged, and fswebcam takes 1-2 s per capture on a Pi (it opens the device each time), so frame rates there ' +
      'are lower than the fake\'s.',
  );
});

afterAll(async () => {
  await watch?.close();
  await broker?.cleanup();
  await cleanup();
});

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 4: simulated camera faults', { timeout: 180_000 }, () => {
  it('reports each fault as degraded in telemetry, stays up, and recovers by itself', async () => {
    const images = imageFolder(work);
    const faults = `${images}/.faults`;
    const config = writeConfig(work, {}, 'camera:\n  captureTimeoutSeconds: 1\n');
    const agent = startAgent(['--simulate', '--images', images, '--mqtt-url', broker.url, '--device-id', DEVICE,
      '--data-dir', `${work}/data`, '--config', config, '--fps', '5']);
    const file = (word: string) => () => writeFileSync(faults, `${word}\n`);
    const clear = () => rmSync(faults, { force: true });
    const outcomes = await drill(agent, watch, DEVICE, [
      { name: 'capture errors (.faults: error)', part: 'camera', reason: /simulated capture error/, inject: file('error'), clear },
      { name: 'a stalled capture (.faults: stall)', part: 'camera', reason: /no frame within 1 s/, inject: file('stall'), clear },
      { name: 'corrupt frames (.faults: corrupt)', part: 'frames', reason: /\.(png|jpg): /, inject: file('corrupt'), clear },
      {
        name: 'the device gone and back (folder renamed away)', part: 'camera', reason: /gone\?/,
        inject: () => renameSync(images, `${images}.away`), clear: () => renameSync(`${images}.away`, images),
      },
    ]);
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.logs().filter((l) => (l.level as number) >= 60)).toEqual([]);
    expect(agent.logs().some((l) => l.msg === 'restarting the camera'), 'the hung capture restarted the camera').toBe(true);

    recordFigure('4', 'simulated camera (.faults file, folder renamed away)', {
      ...drillFigures(outcomes),
      'capture errors counted by the end': outcomes.at(-1)!.captureErrors,
      'agent exits': 0,
    }, 'The agent ran at 5 fps on the simulated camera (camera.captureTimeoutSeconds 1, telemetry every second). One after ' +
      'another: `error`, `stall` and `corrupt` were written to the image folder\'s .faults file and the folder was renamed ' +
      'away. For each, telemetry had to say `status: degraded` with the part (`degraded.camera`, or `degraded.frames` for ' +
      'frames that do not decode) and the cause; then the fault was cleared and results captured after the clear had to ' +
      'arrive and telemetry say `ok` again, with no restart. Finally SIGTERM: exit 0, no fatal log line.');
  });
});
