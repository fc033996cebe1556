import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { createCamera } from '../camera/factory.js';
import { configPath } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';
import { createAgentContext, type AgentContext } from '../core/context.js';
import { claimDataDir } from '../core/data-dir.js';
import { checkModelSetup } from '../pipeline/model-setup.js';
import { createGpio, triggerUnavailable } from '../gpio/factory.js';
import { brokerCredentials } from '../mqtt/connection-options.js';
import type { CheckResult } from './check.js';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A context for building the configured parts without running them. */
export function doctorContext(config: AgentConfig): AgentContext {
  return createAgentContext(config, pino({ level: 'silent' }), configPath(config.dataDir));
}

/** The model and its labels, checked by the function run opens them with. */
export async function checkModel(config: AgentConfig): Promise<CheckResult> {
  try {
    return { name: 'model', status: 'ok', detail: await checkModelSetup(config) };
  } catch (err) {
    return {
      name: 'model',
      status: 'fail',
      detail: message(err),
      fix: /labels|indices/.test(message(err))
        ? 'set model.labels to the labels file made for this model (one line per class), or null for the labels stored in it'
        : 'set model.file to a quantized MobileNet .tflite (see models/)',
    };
  }
}

/** The data directory, claimed as run claims it (created, written, locked) and released at once. */
export async function checkDataDir(config: AgentConfig): Promise<CheckResult> {
  const verdict = await claimDataDir(configPath(config.dataDir));
  switch (verdict.status) {
    case 'ok':
      await verdict.lock.release();
      return { name: 'data dir', status: 'ok', detail: `${verdict.dir}: writable, and no other agent holds it` };
    case 'degraded':
      return { name: 'data dir', status: 'warn', detail: verdict.reason, fix: verdict.fix };
    default:
      return { name: 'data dir', status: 'fail', detail: verdict.reason, fix: verdict.fix };
  }
}

const cameraFixes: Record<NonNullable<AgentConfig['camera']['type']>, string> = {
  sim: 'set camera.sim.images to a folder of JPEG/PNG files',
  usb: 'plug in the webcam, install fswebcam (apt-get install fswebcam), check camera.usb.device (ls /dev/video*)',
  libcamera: 'enable the camera (rpicam-still -o test.jpg must work), check the ribbon cable, install rpicam-apps',
};

/** Captures one frame with the configured camera (setupChecks reports a camera that is not configured). */
export async function checkCamera(ctx: AgentContext): Promise<CheckResult | null> {
  const { type } = ctx.config.camera;
  if (type === null) return null;
  let camera;
  try {
    camera = createCamera(ctx);
    const start = performance.now();
    const frame = await Promise.race([
      camera.capture(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no frame within ${ctx.config.camera.captureTimeoutSeconds} s`)), ctx.config.camera.captureTimeoutSeconds * 1000).unref(),
      ),
    ]);
    return {
      name: 'camera',
      status: 'ok',
      detail: `${camera.name}: captured ${frame.source} (${Math.round(frame.data.length / 1024)} KiB) in ${Math.round(performance.now() - start)} ms`,
    };
  } catch (err) {
    return { name: 'camera', status: 'fail', detail: `${type} camera: ${message(err)}`, fix: cameraFixes[type] };
  } finally {
    await camera?.close();
  }
}

export async function checkGpio(ctx: AgentContext): Promise<CheckResult> {
  if (!ctx.config.gpio.enabled) return { name: 'gpio', status: 'ok', detail: 'not used (gpio.enabled is false)' };
  const gpio = await createGpio(ctx, { simulate: false });
  const fix = 'check the BCM pin numbers in gpio.*.pin, and that this user may use /sys/class/gpio (group gpio)';
  try {
    const idle = triggerUnavailable(ctx, gpio);
    if (idle !== null) return { name: 'gpio', status: 'fail', detail: idle, fix };
    return gpio.problem
      ? {
          name: 'gpio',
          status: 'warn',
          detail: gpio.describe(),
          fix,
        }
      : { name: 'gpio', status: 'ok', detail: gpio.describe() };
  } finally {
    await gpio.close();
  }
}

/** Connects to the configured broker with the agent's credentials and TLS settings. */
export async function checkBroker(config: AgentConfig): Promise<CheckResult> {
  const url = config.mqtt.url;
  if (!url) {
    return { name: 'broker', status: 'ok', detail: 'none configured: results go to the log (run --simulate starts an embedded broker)' };
  }
  try {
    const client = await connectAsync(url, {
      ...(await brokerCredentials(config.mqtt, url)),
      clientId: `edge-agent-doctor-${config.device.id}`,
      connectTimeout: 5000,
      reconnectPeriod: 0,
    });
    await client.endAsync();
    return { name: 'broker', status: 'ok', detail: `${url}: connected` };
  } catch (err) {
    return {
      name: 'broker',
      status: 'fail',
      detail: `${url}: ${message(err)}`,
      fix: 'check mqtt.url, that the broker runs and is reachable, and mqtt.username/password and mqtt.tls files',
    };
  }
}
