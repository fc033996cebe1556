import { join } from 'node:path';
import type { Logger } from 'pino';
import { SupervisedCamera } from './camera/supervisor.js';
import { configPath } from './config/load.js';
import type { AgentConfig } from './config/types.js';
import { ConsoleResults } from './outbox/console-results.js';
import { createAgentContext, reportHealth, type AgentContext } from './core/context.js';
import { ObjectEvents } from './detection/object-events.js';
import { claimDataDir, DataDirError } from './core/data-dir.js';
import { registerAgentCommands } from './control/agent-commands.js';
import { ModelStore } from './control/model-store.js';
import { chooseStartModel, openStartModel } from './control/start-model.js';
import { registerUpdateModel } from './control/update-model.js';
import { Controller } from './core/controller.js';
import type { Extension } from './core/extension.js';
import { GpioExtension } from './gpio/gpio-extension.js';
import { createLogger, type LoggerOptions } from './logging/logger.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/embedded-broker.js';
import { MqttExtension } from './mqtt/mqtt-extension.js';
import { refusals, setupChecks, SetupError } from './doctor/setup-checks.js';
import { openModel } from './pipeline/model-setup.js';
import { Pipeline } from './pipeline/pipeline.js';
import type { ResultPayload } from './pipeline/result.js';
import { MetricsServer, registerAgentMetrics } from './telemetry/metrics-server.js';
import { Telemetry } from './telemetry/telemetry.js';
import { WebExtension } from './web/web-extension.js';

export interface AgentOptions {
  /** Simulated camera and GPIO; with no broker configured, an embedded one. */
  simulate: boolean;
  /** Stop after this many results. */
  maxFrames?: number;
  /** The log's format when the agent makes its own logger (default auto: pretty on a terminal). */
  logFormat?: LoggerOptions['format'];
  log?: Logger;
  /** Who set model.file or model.labels (a flag, a variable, a file), which then wins over a model pushed with update-model. */
  modelPin?: string | null;
}

export interface RunningAgent {
  readonly ctx: AgentContext;
  /** Resolves when --max-frames results have been produced (never without it). */
  readonly done: Promise<void>;
  /** Resolves when a part cannot go on (the 'fatal' event): the agent must stop and exit non-zero. */
  readonly failed: Promise<{ part: string; reason: string }>;
  /** Finishes the frame in flight, delivers what is outstanding, says offline, stops. */
  stop(): Promise<void>;
}

/**
 * The data directory, made and locked before anything else starts: one that cannot be used
 * throws a DataDirError at once; one whose disk takes no writes now is run on, degraded.
 * Returns what releases the lock.
 */
async function claimOrThrow(ctx: AgentContext): Promise<() => Promise<void>> {
  const verdict = await claimDataDir(ctx.dataDir);
  switch (verdict.status) {
    case 'in-use':
    case 'unusable':
      throw new DataDirError(verdict);
    case 'degraded':
      ctx.log.warn({ dataDir: ctx.dataDir, fix: verdict.fix }, verdict.reason);
      reportHealth(ctx, 'dataDir', verdict.reason);
      return async () => {};
    case 'ok':
      if (verdict.replaced) {
        const { holder, why } = verdict.replaced;
        ctx.log.warn(
          { dataDir: ctx.dataDir, lock: verdict.lock.file, previous: holder },
          `took over the lock of the data directory ${ctx.dataDir}${holder ? ` from pid ${holder.pid}` : ''}: ${why}`,
        );
      }
      return () => verdict.lock.release();
  }
}

/** Builds the agent's parts on one context and starts them in order. */
export async function startAgent(config: AgentConfig, options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? createLogger({ level: config.log.level, device: config.device.id!, format: options.logFormat ?? 'auto' });
  const refused = refusals(setupChecks(config, { simulate: options.simulate }));
  if (refused.length > 0) throw new SetupError(refused);
  const ctx = createAgentContext(config, log, configPath(config.dataDir));
  const release = await claimOrThrow(ctx);
  try {
    return await startOn(ctx, config, options, release);
  } catch (err) {
    await release();
    throw err;
  }
}

async function startOn(ctx: AgentContext, config: AgentConfig, options: AgentOptions, release: () => Promise<void>): Promise<RunningAgent> {
  const { log } = ctx;
  const failed = new Promise<{ part: string; reason: string }>((resolve) => ctx.events.once('fatal', resolve));
  const store = new ModelStore(join(ctx.dataDir, 'models'));
  await store.open();
  const pinnedBy = options.modelPin ?? null;
  const model = await openStartModel(config, store, pinnedBy, log);
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
    startModel: async () => (await chooseStartModel(config, store, pinnedBy)).choice,
    async reloadModel(choice) {
      const next = await openModel(config, choice);
      await pipeline.swapModel(next);
      log.info({ model: next.name, engine: next.session.engine, file: choice.file, labels: choice.labels ?? 'stored in the model' }, 'model reloaded');
      return { model: next.name, engine: next.session.engine };
    },
  });
  registerUpdateModel(ctx, {
    store,
    pinnedBy,
    open: (choice) => openModel(config, choice),
    swap: (next) => pipeline.swapModel(next),
    current: () => pipeline.currentModel,
  });
  registerAgentMetrics(ctx);
  const printResult = (r: ResultPayload): void => {
    const top = r.top[0];
    const line = {
      seq: r.seq,
      source: r.source,
      label: top?.label ?? null,
      score: top?.score ?? null,
      ...(r.objects ? { objects: r.objects.map((o) => `${o.label} ${o.id}`) } : {}),
      ms: r.latencyMs.total,
    };
    if (options.simulate || !config.mqtt.url) log.info(line, 'result');
    else log.debug(line, 'result');
  };
  ctx.events.on('result', printResult);

  const gpio = new GpioExtension(ctx, { simulate: options.simulate });
  const objectEvents = new ObjectEvents(ctx);
  const web = config.web.enabled
    ? new WebExtension(ctx, {
        brokerConnected: () => (sink instanceof MqttExtension ? sink.isConnected : null),
        led: () => {
          const led = gpio.parts?.led;
          return led ? { pattern: led.pattern, simulated: options.simulate } : null;
        },
        engine: () => pipeline.engine,
        model: () => pipeline.modelName,
        modelSha256: () => pipeline.currentModel.sha256,
        objectEvents,
      })
    : null;
  // The web page last: it starts once there is something to show and stops first.
  const parts: Extension[] = [
    gpio,
    ...(config.metrics.enabled ? [new MetricsServer(ctx)] : []),
    sink,
    // Stops after the pipeline, which ends the objects still in view, and before mqtt delivers them.
    objectEvents,
    new Telemetry(ctx, { engine: () => pipeline.engine, model: () => pipeline.modelName, modelSha256: () => pipeline.currentModel.sha256 }),
    camera,
    pipeline,
    ...(web ? [web] : []),
  ];
  const controller = new Controller(parts, log);
  try {
    await controller.start();
  } catch (err) {
    // The pipeline owns the model: its stop closes it as intended, which its supervisor
    // would otherwise take for a worker that died.
    await pipeline.stop();
    await broker?.close();
    throw err;
  }
  log.info({ mode: config.trigger.mode, camera: config.camera.type, fps: ctx.settings.fps }, 'edge-agent running');

  let stopping: Promise<void> | null = null;
  return {
    ctx,
    done: pipeline.done,
    failed,
    stop() {
      stopping ??= (async () => {
        // The pipeline closes the model it runs (which a reload or a worker restart may have replaced).
        await controller.stop();
        await broker?.close();
        await release();
        log.info('edge-agent stopped');
      })();
      return stopping;
    },
  };
}
