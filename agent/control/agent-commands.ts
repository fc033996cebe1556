import type { AgentContext } from '../context.js';
import type { Pipeline } from '../pipeline/pipeline.js';

export interface CommandTargets {
  pipeline: Pipeline;
  /** Loads a model and swaps it in; rejects (keeping the old model) when it cannot load. */
  reloadModel(file: string | null): Promise<{ model: string; engine: string }>;
  /** Seconds since the agent started. */
  uptime(): number;
}

/**
 * The commands of DESIGN.md's edge/<id>/cmd/<name> topics. Each validates its arguments
 * through the registry's schema before anything changes.
 */
export function registerAgentCommands(ctx: AgentContext, t: CommandTargets): void {
  const { commands, settings } = ctx;

  commands.register('capture', {
    description: 'capture a frame now and answer with its result',
    args: { properties: {} },
    run: async () => {
      const result = await t.pipeline.capture('command');
      return { seq: result.seq, source: result.source, top: result.top, latencyMs: result.latencyMs };
    },
  });

  commands.register('set-fps', {
    description: 'set the capture rate of continuous mode',
    args: { properties: { fps: { type: 'number', exclusiveMinimum: 0, maximum: 60 } }, required: ['fps'] },
    run: async ({ fps }) => {
      settings.fps = fps as number;
      t.pipeline.reschedule();
      return { fps: settings.fps };
    },
  });

  commands.register('set-top-k', {
    description: 'set how many predictions a result carries',
    args: { properties: { topK: { type: 'integer', minimum: 1, maximum: 100 } }, required: ['topK'] },
    run: async ({ topK }) => {
      settings.topK = topK as number;
      return { topK: settings.topK };
    },
  });

  commands.register('set-threshold', {
    description: 'set the score below which predictions are left out',
    args: { properties: { scoreThreshold: { type: 'number', minimum: 0, maximum: 1 } }, required: ['scoreThreshold'] },
    run: async ({ scoreThreshold }) => {
      settings.scoreThreshold = scoreThreshold as number;
      return { scoreThreshold: settings.scoreThreshold };
    },
  });

  commands.register('pause', {
    description: 'stop capturing until resume',
    args: { properties: {} },
    run: async () => {
      settings.paused = true;
      t.pipeline.reschedule();
      return { paused: true };
    },
  });

  commands.register('resume', {
    description: 'capture again after pause',
    args: { properties: {} },
    run: async () => {
      settings.paused = false;
      t.pipeline.reschedule();
      return { paused: false };
    },
  });

  commands.register('reload-model', {
    description: 'load a model (default: the configured one again) and swap it in; the old one stays on failure',
    args: { properties: { file: { type: 'string', minLength: 1, maxLength: 4096, pattern: '\\.tflite$' } } },
    run: async ({ file }) => t.reloadModel((file as string | undefined) ?? null),
  });

  commands.register('status', {
    description: 'the agent\'s state',
    args: { properties: {} },
    run: async () => ({
      device: ctx.deviceId,
      model: t.pipeline.modelName,
      engine: t.pipeline.engine,
      paused: settings.paused,
      fps: settings.fps,
      topK: settings.topK,
      scoreThreshold: settings.scoreThreshold,
      mode: ctx.config.trigger.mode,
      uptimeSeconds: Math.round(t.uptime()),
      results: ctx.stats.framesInferred,
      outboxDepth: ctx.results?.depth() ?? 0,
      degraded: Object.fromEntries(ctx.degraded),
      commands: commands.names(),
    }),
  });
}
