import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startAgent } from '../agent.js';
import { modelPin } from '../control/start-model.js';
import { CliError, ExitCode } from './cli-error.js';
import { resolveConfigFile, SYSTEM_CONFIG_FILE } from '../config/config-file.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { ListenError } from '../core/listen.js';
import { loadFailure } from './open-session.js';
import { LOG_FORMATS, type LoggerOptions } from '../logging/logger.js';
import { DataDirError } from '../core/data-dir.js';
import { SetupError } from '../doctor/setup-checks.js';
import { GpioError } from '../gpio/gpio.js';
import { positiveInteger, positiveNumber } from './options.js';
import { CAMERA_SPECS, CameraSpecError, cameraFromSpec } from '../camera/camera-spec.js';

function cameraSpec(spec: string): Record<string, unknown> {
  try {
    return cameraFromSpec(spec);
  } catch (err) {
    if (err instanceof CameraSpecError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

interface RunOptions {
  config?: string;
  simulate?: boolean;
  camera?: Record<string, unknown>;
  images?: string;
  fps?: number;
  maxFrames?: number;
  mqttUrl?: string;
  deviceId?: string;
  model?: string;
  labels?: string;
  dataDir?: string;
  logFormat: LoggerOptions['format'];
}

/** Flags as a partial configuration; paths given on the command line are relative to the working directory. */
function overridesFrom(o: RunOptions): Record<string, unknown> {
  const camera: Record<string, unknown> = { ...o.camera };
  if (o.simulate && !o.camera) camera.type = 'sim';
  if (o.images) camera.sim = { images: resolve(o.images) };
  if (o.fps !== undefined) camera.fps = o.fps;
  const out: Record<string, unknown> = Object.keys(camera).length > 0 ? { camera } : {};
  if (o.mqttUrl) out.mqtt = { url: o.mqttUrl };
  if (o.deviceId) out.device = { id: o.deviceId };
  if (o.model || o.labels) out.model = { ...(o.model ? { file: resolve(o.model) } : {}), ...(o.labels ? { labels: resolve(o.labels) } : {}) };
  if (o.dataDir) out.dataDir = resolve(o.dataDir);
  return out;
}

/**
 * A server that could not listen: unavailable (69), as for `fleet`, not an internal error. It
 * is not a configuration error (78, which pm2 never restarts): a port in use is often held by
 * the edge-agent being replaced, and an address may only be missing until the network is up.
 */
function listenFailure(err: ListenError): CliError {
  const why = err.code === 'EADDRINUSE' ? 'the port is in use (another program, or another edge-agent, holds it)' : (err.cause as Error).message;
  return new CliError(`${err.what}: cannot listen on ${err.host}:${err.port}: ${why}`, ExitCode.unavailable);
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
  .option('--config <file>', `configuration file (YAML); default: $EDGE_AGENT_CONFIG, else ${SYSTEM_CONFIG_FILE} if present`)
  .option('--simulate', 'simulated camera and GPIO; starts an embedded broker when none is configured')
  .option('--camera <spec>', `the camera: ${CAMERA_SPECS}`, cameraSpec)
  .option('--images <dir>', 'folder of images for the simulated camera')
  .option('--fps <n>', 'frames per second', positiveNumber('--fps'))
  .option('--max-frames <n>', 'stop after this many results, deliver them, and exit', positiveInteger('--max-frames'))
  .option('--mqtt-url <url>', 'MQTT broker, e.g. mqtt://localhost:1883')
  .option('--device-id <id>', 'device id in MQTT topics')
  .option('--model <file>', 'the .tflite model: a classifier, or a detector (SSD ending in TFLite_Detection_PostProcess)')
  .option('--labels <file>', "labels file for the model; it must fit the model's classes")
  .option('--data-dir <dir>', 'folder for the seq counter and the outbox')
  .addOption(new Option('--log-format <format>', 'log lines: readable on a terminal, JSON otherwise (auto), or always one of them').choices(LOG_FORMATS).default('auto'))
  .action(async (o: RunOptions) => {
    const file = resolveConfigFile({ flag: o.config });
    let loaded;
    try {
      loaded = await loadConfig({ file, overrides: overridesFrom(o) as never });
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(`configuration error:\n  ${err.problems.join('\n  ')}`, ExitCode.config);
      throw err;
    }
    // Problems found while starting name a key ("mqtt.tls.ca: cannot read ..."); say where it was set.
    const { blame } = loaded;
    // Listening before the start: a stop asked for while starting (pm2 stop, Ctrl-C) waits for
    // the start to finish and then stops cleanly, instead of killing a half-started agent.
    let signalled!: (signal: string) => void;
    const signal = new Promise<string>((resolve) => (signalled = resolve));
    const unlisten = onSignals(signalled);
    let agent;
    try {
      agent = await startAgent(loaded.config, { simulate: o.simulate ?? false, maxFrames: o.maxFrames, logFormat: o.logFormat, modelPin: modelPin(loaded.setBy) });
    } catch (err) {
      unlisten();
      if (err instanceof SetupError) throw new CliError(err.message, err.exitCode);
      // The hardware may come back (a HAT reseated, the gpio group granted): not a configuration error.
      if (err instanceof GpioError) throw new CliError(err.message, ExitCode.unavailable);
      if (err instanceof DataDirError) throw new CliError(err.message, err.verdict.status === 'in-use' ? ExitCode.tempFail : ExitCode.cantCreate);
      if (err instanceof ListenError) throw listenFailure(err);
      const failure = loadFailure(err);
      if (failure) throw failure;
      if (err instanceof ConfigError) throw new CliError(`configuration error:\n  ${err.problems.map(blame).join('\n  ')}`, ExitCode.config);
      if (err instanceof Error && err.name === 'CameraError') throw new CliError(blame(err.message), ExitCode.config);
      throw err;
    }
    agent.ctx.log.info({ file: file?.path ?? null, chosenBy: file?.chosenBy ?? 'nothing: the defaults only' }, 'configuration');
    for (const warning of loaded.warnings) agent.ctx.log.warn(warning);
    // pm2's wait_ready: the agent is up.
    process.send?.('ready');
    type Stop = { reason: string; fatal?: { part: string; reason: string } };
    const { reason, fatal } = await Promise.race<Stop>([
      signal.then((name) => ({ reason: name })),
      agent.done.then(() => ({ reason: 'max-frames' })),
      agent.failed.then((failure) => ({ reason: `${failure.part} failed`, fatal: failure })),
    ]);
    agent.ctx.log.info({ reason }, 'stopping');
    await agent.stop();
    unlisten();
    // Non-zero, so that pm2 (or systemd) starts the whole process again.
    if (fatal) throw new CliError(`${fatal.part}: ${fatal.reason}`, ExitCode.software);
  });
