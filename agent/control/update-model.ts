import { rm } from 'node:fs/promises';
import type { AgentContext } from '../core/context.js';
import { redactSecrets } from '../logging/redaction.js';
import type { LoadedModel } from '../pipeline/supervised-model.js';
import { download, type Downloaded } from './model-download.js';
import type { ModelChoice } from './model-files.js';
import { type ActiveModel, type ModelStore, type StoredKind } from './model-store.js';

export interface UpdateTargets {
  store: ModelStore;
  /** Who set model.file or model.labels at start (then that model comes back at the next start), or null. */
  pinnedBy: string | null;
  open(choice: ModelChoice): Promise<LoadedModel>;
  swap(model: LoadedModel): Promise<void>;
  current(): LoadedModel;
}

const HTTP_URL = { type: 'string', minLength: 8, maxLength: 4096, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' };
const SHA256 = { type: 'string', pattern: '^[0-9A-Fa-f]{64}$' };

/** A file of the update: already stored under its sha256, or downloaded and waiting to be. */
type Fetched = { stored: string; sha256: string } | { downloaded: Downloaded };

interface Prepared {
  generation: number;
  model: Fetched;
  labels: Fetched | null;
}

/** The model's name in results: the URL's file name without .tflite, in the characters a topic and a file name take. */
export function nameFromUrl(url: string, sha256: string): string {
  let last = '';
  try {
    last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    // a name is a nicety: the sha256 names it otherwise
  }
  const name = last.replace(/\.tflite$/i, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return name === '' || name.startsWith('.') ? `model-${sha256.slice(0, 12)}` : name;
}

/**
 * cmd/update-model {"id", "url", "sha256", "labels"?, "labelsSha256"?}: downloads a model
 * (and its labels), verifies it, stores it in <dataDir>/models, loads it, swaps it in and
 * records it as the model to start with. The download runs as soon as the command arrives,
 * beside the other commands; a newer update-model cancels an older one still on its way.
 * On any failure the model running stays, and so does the record.
 */
export function registerUpdateModel(ctx: AgentContext, t: UpdateTargets): void {
  const { log } = ctx;
  const limits = {
    maxBytes: ctx.config.model.update.maxMegabytes * 2 ** 20,
    timeoutMs: ctx.config.model.update.timeoutSeconds * 1000,
  };
  let generation = 0;
  let inFlight: AbortController | null = null;

  /** The file with this sha256: the one stored, or a download checked against it (`expected` null: labels sent without one). */
  const fetchFile = async (url: string, expected: string | null, kind: StoredKind, signal: AbortSignal): Promise<Fetched> => {
    if (expected !== null) {
      const stored = await t.store.find(expected, kind);
      if (stored !== null) return { stored, sha256: expected };
    }
    const downloaded = await download(url, t.store.dir, limits, signal);
    if (expected !== null && downloaded.sha256 !== expected) {
      await rm(downloaded.path, { force: true });
      throw new Error(`the file at ${redactSecrets(url)} has sha256 ${downloaded.sha256}, not ${expected} as the command says (${downloaded.bytes} bytes)`);
    }
    return { downloaded };
  };

  const discard = async (p: Prepared): Promise<void> => {
    for (const f of [p.model, p.labels]) if (f && 'downloaded' in f) await rm(f.downloaded.path, { force: true });
  };

  /** The path of a fetched file in the store; a download moves there only now, in the command's turn. */
  const place = async (f: Fetched, kind: StoredKind): Promise<{ path: string; sha256: string }> => {
    if ('downloaded' in f) return { path: await t.store.keep(f.downloaded, kind), sha256: f.downloaded.sha256 };
    return { path: f.stored, sha256: f.sha256 };
  };

  ctx.commands.register('update-model', {
    args: {
      properties: { url: HTTP_URL, sha256: SHA256, labels: HTTP_URL, labelsSha256: SHA256 },
      required: ['url', 'sha256'],
      dependencies: { labelsSha256: ['labels'] },
    },
    prepare: async (args): Promise<Prepared> => {
      const mine = ++generation;
      inFlight?.abort(new Error('cancelled: a newer update-model arrived'));
      const abort = new AbortController();
      inFlight = abort;
      let model: Fetched | null = null;
      try {
        await t.store.open();
        model = await fetchFile(args.url as string, (args.sha256 as string).toLowerCase(), 'tflite', abort.signal);
        const labels = args.labels === undefined
          ? null
          : await fetchFile(args.labels as string, (args.labelsSha256 as string | undefined)?.toLowerCase() ?? null, 'labels', abort.signal);
        return { generation: mine, model, labels };
      } catch (err) {
        if (model) await discard({ generation: mine, model, labels: null });
        throw new Error(`update-model: ${(err as Error).message}; the model is unchanged`);
      } finally {
        if (inFlight === abort) inFlight = null;
      }
    },
    run: async (args, prepared) => {
      const p = prepared as Prepared;
      if (p.generation !== generation) {
        await discard(p);
        throw new Error('update-model: a newer update-model arrived before this one was applied; the newer one is');
      }
      const url = redactSecrets(args.url as string);
      const labelsUrl = args.labels === undefined ? null : redactSecrets(args.labels as string);
      let model: { path: string; sha256: string };
      let labels: { path: string; sha256: string } | null;
      try {
        model = await place(p.model, 'tflite');
        labels = p.labels === null ? null : await place(p.labels, 'labels');
      } catch (err) {
        await discard(p);
        throw new Error(`update-model: cannot store the model in ${t.store.dir}: ${(err as Error).message}; the model is unchanged`);
      }
      const name = nameFromUrl(args.url as string, model.sha256);
      const previous = await t.store.active().catch(() => null);
      const running = t.current();
      const keep = new Set([model.sha256, running.sha256, ...(labels ? [labels.sha256] : []), ...(previous ? [previous.sha256] : []), ...(previous?.labelsSha256 ? [previous.labelsSha256] : [])]);
      let next: LoadedModel;
      try {
        next = await t.open({ file: model.path, labels: labels?.path ?? null, name, sha256: model.sha256 });
      } catch (err) {
        keep.delete(model.sha256);
        if (labels) keep.delete(labels.sha256);
        await t.store.prune(keep).catch(() => {});
        throw new Error(`update-model: ${url} does not load: ${(err as Error).message}; the model is unchanged`);
      }
      const record: ActiveModel = { name, sha256: model.sha256, labelsSha256: labels?.sha256 ?? null, url, updatedAt: new Date().toISOString() };
      try {
        await t.store.activate(record);
      } catch (err) {
        await next.session.close();
        throw new Error(`update-model: cannot record the new model in ${t.store.dir}: ${(err as Error).message}; the model is unchanged`);
      }
      await t.swap(next);
      await t.store.prune(keep).catch((err: Error) => log.warn({ dir: t.store.dir, err: err.message }, 'update-model: could not remove older models'));
      const warning = t.pinnedBy === null
        ? null
        : `model.file or model.labels is ${t.pinnedBy}, so that model comes back at the next start; remove it there for this one to stay`;
      log.info({ model: name, sha256: model.sha256, labels: labelsUrl, url, engine: next.session.engine, ...(warning ? { warning } : {}) }, 'model updated');
      return {
        model: name,
        sha256: model.sha256,
        engine: next.session.engine,
        persists: warning === null,
        ...(warning ? { warning } : {}),
        replaced: { model: running.name, sha256: running.sha256 },
      };
    },
  });
}
