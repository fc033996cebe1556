import { mkdir } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { InferenceSession } from '../kernels/session.js';
import { SupervisedCamera } from './camera/supervisor.js';
import { readLabels } from './pipeline/classification.js';
import { configPath } from './config/load.js';
import type { AgentConfig } from './config/types.js';
import { ConsoleResults } from './outbox/console-results.js';
import { createAgentContext, type AgentContext } from './core/context.js';
import { registerAgentCommands } from './control/agent-commands.js';
import { configuredModel, type ModelChoice } from './control/model-files.js';
import { Controller } from './core/controller.js';
import type { Extension } from './core/extension.js';
import { GpioExtension } from './gpio/gpio-extension.js';
import { REDACTED_LOG_PATHS } from './logging/redaction.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/embedded-broker.js';
import { MqttExtension } from './mqtt/mqtt-extension.js';
import { modelName, Pipeline, type LoadedModel } from './pipeline/pipeline.js';
import type { ResultPayload } from './pipeline/result.js';
import { MetricsServer, registerAgentMetrics } from './telemetry/metrics-server.js';
import { Telemetry } from './telemetry/telemetry.js';
import { WebExtension } from './web/web-extension.js';

export interface AgentOptions {
  /** Simulated camera and GPIO; with no broker configured, an embedded one. */
  simulate: boolean;
  /** Stop after this many results. */
  maxFrames?: number;
  log?: Logger;
}

export interface RunningAgent {
  readonly ctx: AgentContext;
  /** Resolves when --max-frames results have been produced (never without it). */
  readonly done: Promise<void>;
  /** Finishes the frame in flight, delivers what is outstanding, says offline, stops. */
  stop(): Promise<void>;
}

async function loadModel(config: AgentConfig, { file, labels: labelFile }: ModelChoice): Promise<LoadedModel> {
  const session = await InferenceSession.open(file, { engine: config.model.engine, threads: config.model.threads });
  try {
    const labels = labelFile ? await readLabels(labelFile) : session.info.labels;
    return { session, name: modelName(file), labels };
  } catch (err) {
    await session.close();
    throw err;
  }
}

/** Builds the agent's parts on one context and starts them in order. */
export async function startAgent(config: AgentConfig, options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? pino({ level: config.log.level, base: { device: config.device.id }, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } });
  const ctx = createAgentContext(config, log, configPath(config.dataDir));
  await mkdir(ctx.dataDir, { recursive: true });

  let model = await loadModel(config, configuredModel(config));
  if (model.session.info.fallbackReason) log.warn({ reason: model.session.info.fallbackReason }, 'using the TypeScript engine');
  log.info({ model: model.name, engine: model.session.engine, input: model.session.info.input.shape }, 'model loaded');

  let broker: EmbeddedBroker | null = null;
  let sink: Extension;
  if (config.mqtt.url) {
    sink = new MqttExtension(ctx);
  } else if (options.simulate) {
    broker = await startEmbeddedBroker({ log });
    sink = new MqttExtension(ctx, { url: broker.url });
  } else {
    sink = new ConsoleResults(ctx);
  }

  const camera = new SupervisedCamera(ctx);
  const pipeline = new Pipeline(ctx, camera, model, { maxFrames: options.maxFrames });
  const startedAt = Date.now();
  registerAgentCommands(ctx, {
    pipeline,
    uptime: () => (Date.now() - startedAt) / 1000,
    async reloadModel(choice) {
      const next = await loadModel(config, choice);
      await pipeline.swapModel(next);
      model = next;
      log.info({ model: next.name, engine: next.session.engine, file: choice.file, labels: choice.labels ?? 'stored in the model' }, 'model reloaded');
      return { model: next.name, engine: next.session.engine };
    },
  });
  registerAgentMetrics(ctx);
  const printResult = (r: ResultPayload): void => {
    const top = r.top[0];
    const line = { seq: r.seq, source: r.source, label: top?.label ?? null, score: top?.score ?? null, ms: r.latencyMs.total };
    if (options.simulate || !config.mqtt.url) log.info(line, 'result');
    else log.debug(line, 'result');
  };
  ctx.events.on('result', printResult);

  const gpio = new GpioExtension(ctx, { simulate: options.simulate });
  const web = config.web.enabled
    ? new WebExtension(ctx, {
        brokerConnected: () => (sink instanceof MqttExtension ? sink.isConnected : null),
        led: () => {
          const led = gpio.parts?.led;
          return led ? { pattern: led.pattern, simulated: options.simulate } : null;
        },
        engine: () => pipeline.engine,
        model: () => pipeline.modelName,
      })
    : null;
  // The web page last: it starts once there is something to show and stops first.
  const parts: Extension[] = [
    gpio,
    ...(config.metrics.enabled ? [new MetricsServer(ctx)] : []),
    sink,
    new Telemetry(ctx, { engine: () => pipeline.engine, model: () => pipeline.modelName }),
    camera,
    pipeline,
    ...(web ? [web] : []),
  ];
  const controller = new Controller(parts, log);
  try {
    await controller.start();
  } catch (err) {
    await model.session.close();
    await broker?.close();
    throw err;
  }
  log.info({ mode: config.trigger.mode, camera: config.camera.type, fps: ctx.settings.fps }, 'edge-agent running');

  let stopping: Promise<void> | null = null;
  return {
    ctx,
    done: pipeline.done,
    stop() {
      stopping ??= (async () => {
        await controller.stop();
        await model.session.close();
        await broker?.close();
        log.info('edge-agent stopped');
      })();
      return stopping;
    },
  };
}
