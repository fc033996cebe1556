import { resolve } from 'node:path';
import { Command } from 'commander';
import { startAgent } from '../agent.js';
import { CliError, ExitCode } from './cli-error.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { DataDirError } from '../core/data-dir.js';
import { ModelError } from '../../kernels/tflite/errors.js';
import { positiveInteger, positiveNumber } from './options.js';

interface RunOptions {
  config?: string;
  simulate?: boolean;
  images?: string;
  fps?: number;
  maxFrames?: number;
  mqttUrl?: string;
  deviceId?: string;
  model?: string;
  dataDir?: string;
}

/** Flags as a partial configuration; paths given on the command line are relative to the working directory. */
function overridesFrom(o: RunOptions): Record<string, unknown> {
  const camera: Record<string, unknown> = {};
  if (o.simulate) camera.type = 'sim';
  if (o.images) camera.sim = { images: resolve(o.images) };
  if (o.fps !== undefined) camera.fps = o.fps;
  const out: Record<string, unknown> = Object.keys(camera).length > 0 ? { camera } : {};
  if (o.mqttUrl) out.mqtt = { url: o.mqttUrl };
  if (o.deviceId) out.device = { id: o.deviceId };
  if (o.model) out.model = { file: resolve(o.model) };
  if (o.dataDir) out.dataDir = resolve(o.dataDir);
  return out;
}

/** Turns SIGINT/SIGTERM into one clean stop; a second signal exits at once. */
function onSignals(stop: (signal: string) => void): () => void {
  let seen = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (seen) process.exit(130);
    seen = true;
    stop(signal);
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
  return () => process.off('SIGINT', handler).off('SIGTERM', handler);
}

export const runCommand = new Command('run')
  .description('run the agent: capture, classify and publish')
  .option('--config <file>', 'configuration file (YAML); overrides config/default.yaml')
  .option('--simulate', 'simulated camera and GPIO; starts an embedded broker when none is configured')
  .option('--images <dir>', 'folder of images for the simulated camera')
  .option('--fps <n>', 'frames per second', positiveNumber('--fps'))
  .option('--max-frames <n>', 'stop after this many results, deliver them, and exit', positiveInteger('--max-frames'))
  .option('--mqtt-url <url>', 'MQTT broker, e.g. mqtt://localhost:1883')
  .option('--device-id <id>', 'device id in MQTT topics')
  .option('--model <file>', 'the .tflite model')
  .option('--data-dir <dir>', 'folder for the seq counter and the outbox')
  .action(async (o: RunOptions) => {
    let loaded;
    try {
      loaded = await loadConfig({ file: o.config, overrides: overridesFrom(o) as never });
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(`configuration error:\n  ${err.problems.join('\n  ')}`, ExitCode.config);
      throw err;
    }
    // Problems found while starting name a key ("mqtt.tls.ca: cannot read ..."); say where it was set.
    const blame = (problem: string): string => {
      const key = /^([A-Za-z]+(?:\.[A-Za-z]+)*): /.exec(problem)?.[1];
      return key ? `${loaded.sourceOf(key)}${problem}` : problem;
    };
    let agent;
    try {
      agent = await startAgent(loaded.config, { simulate: o.simulate ?? false, maxFrames: o.maxFrames });
    } catch (err) {
      if (err instanceof DataDirError) throw new CliError(err.message, err.verdict.status === 'in-use' ? ExitCode.tempFail : ExitCode.cantCreate);
      if (err instanceof ModelError) throw new CliError(err.message, /no such file/.test(err.message) ? ExitCode.noInput : ExitCode.dataError);
      if (err instanceof ConfigError) throw new CliError(`configuration error:\n  ${err.problems.map(blame).join('\n  ')}`, ExitCode.config);
      if (err instanceof Error && err.name === 'CameraError') throw new CliError(blame(err.message), ExitCode.config);
      throw err;
    }
    for (const warning of loaded.warnings) agent.ctx.log.warn(warning);
    // pm2's wait_ready: the agent is up.
    process.send?.('ready');
    const stopped = new Promise<string>((resolve) => {
      const unlisten = onSignals((signal) => {
        unlisten();
        resolve(signal);
      });
      agent.done.then(() => {
        unlisten();
        resolve('max-frames');
      });
    });
    const reason = await stopped;
    agent.ctx.log.info({ reason }, 'stopping');
    await agent.stop();
  });
