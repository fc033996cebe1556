import type { AgentContext } from '../core/context.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { fileInModelDirs, modelDirs, type ModelChoice } from './model-files.js';

export interface CommandTargets {
  pipeline: Pipeline;
  /** Loads a model and swaps it in; rejects (keeping the old model) when it cannot load. */
  reloadModel(choice: ModelChoice): Promise<{ model: string; engine: string }>;
  /** Seconds since the agent started. */
  uptime(): number;
  /** The model the agent would start with now: the configured one, or the one update-model made active. */
  startModel(): Promise<ModelChoice>;
}

/**
 * The commands of the edge/<id>/cmd/<name> topics (README.md). Each validates its arguments
 * through the registry's schema before anything changes.
 */
export function registerAgentCommands(ctx: AgentContext, t: CommandTargets): void {
  const { commands, settings } = ctx;

  commands.register('capture', {
    args: { properties: {} },
    run: async () => {
      const result = await t.pipeline.capture('command');
      return { seq: result.seq, source: result.source, top: result.top, latencyMs: result.latencyMs };
    },
  });

  /** A command that sets one live setting and answers with its new value. */
  const setting = (name: string, key: 'fps' | 'topK' | 'scoreThreshold', schema: object, applied?: () => void): void =>
    commands.register(name, {
      args: { properties: { [key]: schema }, required: [key] },
      run: async (args) => {
        settings[key] = args[key] as number;
        applied?.();
        return { [key]: settings[key] };
      },
    });
  const setPaused = (paused: boolean) => async () => {
    settings.paused = paused;
    t.pipeline.reschedule();
    return { paused };
  };

  setting('set-fps', 'fps', { type: 'number', exclusiveMinimum: 0, maximum: 60 }, () => t.pipeline.reschedule());
  setting('set-top-k', 'topK', { type: 'integer', minimum: 1, maximum: 100 });
  setting('set-threshold', 'scoreThreshold', { type: 'number', minimum: 0, maximum: 1 });
  commands.register('pause', { args: { properties: {} }, run: setPaused(true) });
  commands.register('resume', { args: { properties: {} }, run: setPaused(false) });

  // Only what an operator put in the model directories: a command must not make the agent
  // read any file it can reach, nor tell whether one exists. Labels configured for the
  // configured model belong to it: a model named by the command comes with the command's
  // labels or its own.
  const inModelDirs = async (file: string): Promise<string> => {
    const dirs = modelDirs(ctx.config, ctx.dataDir);
    const found = await fileInModelDirs(file, dirs);
    if (found === null) throw new Error(`reload-model: '${file}' is not a file in the model directories (${dirs.join(', ')})`);
    return found;
  };
  commands.register('reload-model', {
    args: {
      properties: {
        file: { type: 'string', minLength: 1, maxLength: 4096, pattern: '\\.tflite$' },
        labels: { type: 'string', minLength: 1, maxLength: 4096 },
      },
    },
    run: async ({ file, labels }) => {
      const start = await t.startModel();
      if (file === undefined && labels === undefined) return t.reloadModel(start);
      const labelFile = labels === undefined ? null : await inModelDirs(labels as string);
      if (file === undefined) return t.reloadModel({ ...start, labels: labelFile });
      return t.reloadModel({ file: await inModelDirs(file as string), labels: labelFile });
    },
  });

  commands.register('status', {
    args: { properties: {} },
    readOnly: true,
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
