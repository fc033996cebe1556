import type { Logger } from 'pino';
import type { AgentConfig } from '../config/types.js';
import { openModel } from '../pipeline/model-setup.js';
import type { LoadedModel } from '../pipeline/supervised-model.js';
import { configuredModel, type ModelChoice } from './model-files.js';
import { ModelStoreError, type ActiveModel, type ModelStore } from './model-store.js';

/** The model the agent starts with, and what it says about the choice. */
export interface StartModel {
  choice: ModelChoice;
  /** The update-model record it came from, when it did. */
  pushed: ActiveModel | null;
  /** Why a model made active by update-model is not used, when there is one. */
  note: string | null;
}

/** How a pushed model is named in what the agent says. */
export const describePushed = (record: ActiveModel): string => `${record.name} (sha256 ${record.sha256.slice(0, 12)})`;

/**
 * The model run and doctor start with: the configured one when model.file or model.labels
 * was set (`pinnedBy` says where: a flag, a variable or the file), else the model
 * update-model made active last, else the default model. A record that cannot be read or
 * names a file that is gone or changed falls back to the configured model, with a note.
 */
export async function chooseStartModel(config: AgentConfig, store: ModelStore, pinnedBy: string | null): Promise<StartModel> {
  const configured = { choice: configuredModel(config), pushed: null };
  let record: ActiveModel | null;
  try {
    record = await store.active();
  } catch (err) {
    if (!(err instanceof ModelStoreError)) throw err;
    return { ...configured, note: `${err.message}; starting with model.file` };
  }
  if (record === null) return { ...configured, note: null };
  if (pinnedBy !== null) {
    return { ...configured, note: `model.file or model.labels is ${pinnedBy}, which wins over the model update-model made active, ${describePushed(record)}` };
  }
  const file = await store.find(record.sha256, 'tflite');
  const labels = record.labelsSha256 === null ? null : await store.find(record.labelsSha256, 'labels');
  if (file === null || (record.labelsSha256 !== null && labels === null)) {
    return { ...configured, note: `the model update-model made active, ${describePushed(record)}, is missing from ${store.dir} or no longer matches its sha256; starting with model.file` };
  }
  return { choice: { file, labels, name: record.name, sha256: record.sha256 }, pushed: record, note: null };
}

/** Who set the model at start, if anyone: then it wins over update-model's choice. */
export function modelPin(setBy: (key: string) => string | null): string | null {
  return setBy('model.file') ?? setBy('model.labels');
}

/**
 * Opens the model to start with. A pushed model that no longer loads (a newer release
 * that refuses it) must not keep the agent from starting: the configured one is opened
 * instead, and the reason logged.
 */
export async function openStartModel(config: AgentConfig, store: ModelStore, pinnedBy: string | null, log: Logger): Promise<LoadedModel> {
  const start = await chooseStartModel(config, store, pinnedBy);
  if (start.note !== null) log.warn({ dir: store.dir }, start.note);
  if (start.pushed === null) return openModel(config, start.choice);
  try {
    const model = await openModel(config, start.choice);
    log.info({ model: model.name, sha256: model.sha256, url: start.pushed.url, updatedAt: start.pushed.updatedAt }, 'starting with the model update-model made active');
    return model;
  } catch (err) {
    log.error({ model: describePushed(start.pushed), err: (err as Error).message }, 'the model update-model made active does not load; starting with model.file');
    return openModel(config);
  }
}
