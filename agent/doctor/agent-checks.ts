import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import sharp from 'sharp';
import type { Frame } from '../camera/camera.js';
import { createCamera } from '../camera/factory.js';
import { StreamCamera } from '../camera/stream/stream-camera.js';
import { configPath } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';
import { createAgentContext, type AgentContext } from '../core/context.js';
import { claimDataDir } from '../core/data-dir.js';
import { checkModelSetup } from '../pipeline/model-setup.js';
import { ModelStore } from '../control/model-store.js';
import { chooseStartModel, describePushed } from '../control/start-model.js';
import { createGpio, triggerUnavailable } from '../gpio/factory.js';
import { brokerCredentials } from '../mqtt/connection-options.js';
import type { CheckResult } from './check.js';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A context for building the configured parts without running them. */
export function doctorContext(config: AgentConfig): AgentContext {
  return createAgentContext(config, pino({ level: 'silent' }), configPath(config.dataDir));
}

/**
 * The model run would start with (the configured one, or the one update-model made active)
 * and its labels, checked by the function run opens them with. A pushed model that fails
 * is a warning: run then starts with the configured one, which is checked too.
 */
export async function checkModel(config: AgentConfig, pinnedBy: string | null): Promise<CheckResult> {
  const start = await chooseStartModel(config, new ModelStore(join(configPath(config.dataDir), 'models')), pinnedBy);
  const note = start.note === null ? '' : ` (${start.note})`;
  if (start.pushed !== null) {
    try {
      return { name: 'model', status: 'ok', detail: `pushed with update-model from ${start.pushed.url} at ${start.pushed.updatedAt}: ${await checkModelSetup(config, start.choice)}` };
    } catch (err) {
      const pushed = `the model update-model made active, ${describePushed(start.pushed)}, does not load (${message(err)})`;
      try {
        return { name: 'model', status: 'warn', detail: `${pushed}; run starts with model.file: ${await checkModelSetup(config)}`, fix: 'send update-model again with a model this release loads' };
      } catch (fallback) {
        return { name: 'model', status: 'fail', detail: `${pushed}, nor does model.file: ${message(fallback)}`, fix: 'send update-model again with a model this release loads, or set model.file to one' };
      }
    }
  }
  try {
    return { name: 'model', status: start.note === null ? 'ok' : 'warn', detail: `${await checkModelSetup(config, start.choice)}${note}`, ...(start.note === null ? {} : { fix: 'remove model.file and model.labels from where they are set, for the pushed model to be used' }) };
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
  rpicam: 'enable the camera (rpicam-vid -t 2000 -o /dev/null must work), check the ribbon cable, install rpicam-apps',
  v4l2: 'plug in the webcam, install ffmpeg (apt-get install ffmpeg), check camera.v4l2.device (ls /dev/video*) and camera.v4l2.inputFormat (ffmpeg -f v4l2 -list_formats all -i /dev/video0)',
  rtsp: 'install ffmpeg, check camera.rtsp.url (ffplay or VLC must play it), the credentials, and try camera.rtsp.transport tcp or udp',
  http: 'install ffmpeg, check camera.http.url (a browser must show the stream) and the credentials',
  usb: 'plug in the webcam, install fswebcam (apt-get install fswebcam), check camera.usb.device (ls /dev/video*)',
  libcamera: 'enable the camera (rpicam-still -o test.jpg must work), check the ribbon cable, install rpicam-apps',
};

/** How long doctor watches a stream after its first frame to measure its frame rate. */
const RATE_WINDOW_MS = 2000;

/** A frame's size in pixels and what it is, from its header (nothing is decoded). */
async function describeFrame(frame: Frame): Promise<string> {
  if (frame.raw) return `${frame.raw.width}x${frame.raw.height} raw ${frame.raw.format}`;
  const meta = await sharp(frame.data).metadata();
  return `${meta.width}x${meta.height} ${meta.format?.toUpperCase()} (${Math.round(frame.data.length / 1024)} KiB)`;
}

/**
 * Captures one frame with the configured camera (setupChecks reports a camera that is not
 * configured). For a stream, that also shows that its program is installed and that the
 * device or URL answers; the stream is then watched for a moment to measure its frame rate.
 */
export async function checkCamera(ctx: AgentContext): Promise<CheckResult | null> {
  const { type, captureTimeoutSeconds } = ctx.config.camera;
  if (type === null) return null;
  let camera;
  try {
    camera = createCamera(ctx);
    const start = performance.now();
    const frame = await Promise.race([
      camera.capture(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no frame within ${captureTimeoutSeconds} s (camera.captureTimeoutSeconds)`)), captureTimeoutSeconds * 1000).unref(),
      ),
    ]);
    const firstMs = Math.round(performance.now() - start);
    if (!(camera instanceof StreamCamera)) {
      return { name: 'camera', status: 'ok', detail: `${camera.name}: captured ${frame.source} (${Math.round(frame.data.length / 1024)} KiB) in ${firstMs} ms` };
    }
    const { stream } = ctx.stats;
    const counted = stream.frames;
    await new Promise((resolve) => setTimeout(resolve, RATE_WINDOW_MS));
    const fps = ((stream.frames - counted) * 1000) / RATE_WINDOW_MS;
    const skipped = stream.skippedFrames > 0 || stream.skippedBytes > 0 ? `; skipped ${stream.skippedFrames} broken frames and ${stream.skippedBytes} bytes` : '';
    return {
      name: 'camera',
      status: fps > 0 ? 'ok' : 'warn',
      detail: `${camera.name}: first frame in ${firstMs} ms, ${await describeFrame(frame)}, ${fps.toFixed(1)} fps over ${RATE_WINDOW_MS / 1000} s${skipped}`,
      ...(fps > 0 ? {} : { fix: 'the stream gave one frame and then stopped: check the camera or server, and camera.fps' }),
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
  const fix = gpio.fix ?? 'check the BCM pin numbers in gpio.*.pin, and that this user may use /sys/class/gpio (group gpio)';
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
