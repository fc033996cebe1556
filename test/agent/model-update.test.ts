// The parts of update-model on their own: the download (limits, timeout, credentials),
// the store of pushed models, which model the agent starts with, and the command with
// in-process stand-ins for loading and swapping models, against a real HTTP server.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../agent/control/model-download.js';
import { ModelStore, type ActiveModel } from '../../agent/control/model-store.js';
import { chooseStartModel } from '../../agent/control/start-model.js';
import { nameFromUrl, registerUpdateModel } from '../../agent/control/update-model.js';
import type { LoadedModel } from '../../agent/pipeline/supervised-model.js';
import type { InferenceSession } from '../../kernels/session.js';
import { createTestContext, type TestContext } from '../support/agent-context.js';
import { modelPath } from '../support/paths.js';

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
const model = readFileSync(modelPath('mobilenet_v1_0.25_128_quant.tflite'));
const modelSha = sha256(model);

let server: Server;
let base: string;
const authorizations: (string | undefined)[] = [];
/** Responses the tests hold open, ended in afterAll. */
const held: ServerResponse[] = [];
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/model.tflite': (_req, res) => res.writeHead(200, { 'content-length': model.length }).end(model),
  '/labels.txt': (_req, res) => res.writeHead(200).end('background\ncat\n'),
  '/big-announced': (_req, res) => res.writeHead(200, { 'content-length': 10_000 }).end(Buffer.alloc(10_000)),
  // No Content-Length: the size is only known by counting.
  '/big-chunked': (_req, res) => {
    res.writeHead(200);
    for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
    res.end();
  },
  '/stalls': (_req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(10));
    held.push(res);
  },
  '/private.tflite': (req, res) => {
    authorizations.push(req.headers.authorization);
    res.writeHead(200).end(model);
  },
};

let dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-agent-model-update-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  server = createServer((req, res) => (routes[req.url ?? ''] ?? ((_q, r: ServerResponse) => r.writeHead(404, 'Not Found').end()))(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

const limits = { maxBytes: 5000, timeoutMs: 5000 };

describe('download', () => {
  it('writes the file and its sha256', async () => {
    const dir = scratch();
    const got = await download(`${base}/model.tflite`, dir, { maxBytes: model.length, timeoutMs: 5000 });
    expect(got).toMatchObject({ sha256: modelSha, bytes: model.length });
    expect(readFileSync(got.path).equals(model)).toBe(true);
  });

  it.each([
    ['an HTTP error', '/missing', /download of http:\/\/127\.0\.0\.1:\d+\/missing failed: HTTP 404 Not Found$/],
    ['a size over the limit, announced', '/big-announced', /failed: 10000 bytes, over the limit of 5000$/],
    ['a size over the limit, counted', '/big-chunked', /failed: more than 5000 bytes, the limit$/],
  ])('refuses %s and leaves no file behind', async (_what, path, error) => {
    const dir = scratch();
    await expect(download(`${base}${path}`, dir, limits)).rejects.toThrow(error);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a server that stops sending, after the timeout', async () => {
    const dir = scratch();
    await expect(download(`${base}/stalls`, dir, { maxBytes: 5000, timeoutMs: 300 })).rejects.toThrow(/failed: not complete within 0\.3 s$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says why a connection failed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(download(`http://127.0.0.1:${port}/model.tflite`, scratch(), limits)).rejects.toThrow(/failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('sends credentials in the URL as Basic auth, and never shows the password', async () => {
    const dir = scratch();
    await download(`http://ops:s3cret%21@127.0.0.1:${new URL(base).port}/private.tflite`, dir, { maxBytes: model.length, timeoutMs: 5000 });
    expect(authorizations.at(-1)).toBe(`Basic ${Buffer.from('ops:s3cret!').toString('base64')}`);
    const failure = download(`http://ops:s3cret@127.0.0.1:${new URL(base).port}/missing`, dir, limits);
    await expect(failure).rejects.toThrow(/http:\/\/ops:\[redacted\]@127\.0\.0\.1/);
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });

  it('takes only http and https', async () => {
    await expect(download('file:///etc/passwd', scratch(), limits)).rejects.toThrow(/only http and https URLs are downloaded/);
  });
});

const record = (over: Partial<ActiveModel> = {}): ActiveModel => ({
  name: 'pushed', sha256: modelSha, labelsSha256: null, url: 'http://example/pushed.tflite', updatedAt: '2026-12-07T21:00:00.000Z', ...over,
});

describe('ModelStore and the start model', () => {
  it('finds a stored file only while its content matches its name', async () => {
    const store = new ModelStore(scratch());
    writeFileSync(store.path(modelSha, 'tflite'), model);
    expect(await store.find(modelSha, 'tflite')).toBe(store.path(modelSha, 'tflite'));
    writeFileSync(store.path(modelSha, 'tflite'), model.subarray(0, 100));
    expect(await store.find(modelSha, 'tflite')).toBeNull();
  });

  it('starts with the pushed model unless model.file or model.labels was set, and falls back when its file is gone', async () => {
    const t = await createTestContext();
    try {
      const store = new ModelStore(scratch());
      const configured = await chooseStartModel(t.ctx.config, store, null);
      expect(configured).toMatchObject({ pushed: null, note: null });
      expect(configured.choice.file).toMatch(/mobilenet_v2_1\.0_224_quant\.tflite$/);

      writeFileSync(store.path(modelSha, 'tflite'), model);
      await store.activate(record());
      expect(await chooseStartModel(t.ctx.config, store, null)).toEqual({
        choice: { file: store.path(modelSha, 'tflite'), labels: null, name: 'pushed', sha256: modelSha }, pushed: record(), note: null,
      });
      const pinned = await chooseStartModel(t.ctx.config, store, 'set by a flag');
      expect(pinned.choice.file).toBe(configured.choice.file);
      expect(pinned.note).toMatch(/^model\.file or model\.labels is set by a flag, which wins over the model update-model made active, pushed \(sha256 [0-9a-f]{12}\)$/);

      rmSync(store.path(modelSha, 'tflite'));
      const gone = await chooseStartModel(t.ctx.config, store, null);
      expect(gone.choice.file).toBe(configured.choice.file);
      expect(gone.note).toMatch(/is missing from .+ or no longer matches its sha256; starting with model\.file$/);

      writeFileSync(join(store.dir, 'active.json'), '{"name":');
      expect((await chooseStartModel(t.ctx.config, store, null)).note).toMatch(/active\.json: not JSON .+; starting with model\.file$/);
    } finally {
      t.cleanup();
    }
  });

  it('names a model after its URL', () => {
    expect(nameFromUrl('https://models.example/v3/ssd_mobilenet.tflite?x=1', modelSha)).toBe('ssd_mobilenet');
    expect(nameFromUrl('https://models.example/download', modelSha)).toBe('download');
    expect(nameFromUrl('https://models.example/', modelSha)).toBe(`model-${modelSha.slice(0, 12)}`);
    expect(nameFromUrl('https://models.example/a%20b%2F..%2Fc.tflite', modelSha)).toBe('a_b_.._c');
  });
});

/** A loaded model for the stand-ins: only what the command reads of it. */
function fakeLoaded(file: string, name: string, closed: string[]): LoadedModel {
  return {
    file, name, labels: null, sha256: sha256(readFileSync(file)),
    session: { engine: 'js', close: async () => void closed.push(name) } as unknown as InferenceSession,
  };
}

describe('the update-model command', () => {
  let t: TestContext;
  afterEach(() => t?.cleanup());

  async function setUp(open: (file: string, name: string) => Promise<LoadedModel>) {
    t = await createTestContext();
    const store = new ModelStore(join(t.ctx.dataDir, 'models'));
    const closed: string[] = [];
    let current = fakeLoaded(modelPath('mobilenet_v2_1.0_224_quant.tflite'), 'start', closed);
    registerUpdateModel(t.ctx, {
      store,
      pinnedBy: null,
      open: async (choice) => open(choice.file, choice.name!),
      swap: async (next) => {
        current = next;
      },
      current: () => current,
    });
    return { store, closed, current: () => current };
  }

  it('keeps the running model and the record when the new one does not load or cannot be recorded', async () => {
    const { store, current } = await setUp(async () => Promise.reject(new Error('not a TFLite model')));
    const refused = await t.ctx.commands.execute('update-model', JSON.stringify({ id: 'a', url: `${base}/model.tflite`, sha256: modelSha }));
    expect(refused).toEqual({ id: 'a', ok: false, error: `update-model: ${base}/model.tflite does not load: not a TFLite model; the model is unchanged` });
    expect(current().name).toBe('start');
    expect(await store.active()).toBeNull();
    expect(readdirSync(store.dir)).toEqual([]);
  });

  it('refuses labels that are not what their sha256 says, before anything changes', async () => {
    const { store, current } = await setUp(async (file, name) => fakeLoaded(file, name, []));
    const wrong = sha256('other labels');
    const r = await t.ctx.commands.execute('update-model', JSON.stringify({ id: 'l', url: `${base}/model.tflite`, sha256: modelSha, labels: `${base}/labels.txt`, labelsSha256: wrong }));
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining(`/labels.txt has sha256 ${sha256('background\ncat\n')}, not ${wrong}`) });
    expect(current().name).toBe('start');
    expect(await store.active()).toBeNull();
    expect(readdirSync(store.dir)).toEqual([]);
  });

  it('applies only the newest of two updates sent one after the other', async () => {
    const { store, current } = await setUp(async (file, name) => fakeLoaded(file, name, []));
    const older = t.ctx.commands.execute('update-model', JSON.stringify({ id: 'old', url: `${base}/stalls`, sha256: sha256('x') }));
    const newer = await t.ctx.commands.execute('update-model', JSON.stringify({ id: 'new', url: `${base}/model.tflite`, sha256: modelSha }));
    expect(newer).toMatchObject({ id: 'new', ok: true, model: 'model', sha256: modelSha, persists: true });
    expect(await older).toMatchObject({ id: 'old', ok: false, error: expect.stringMatching(/failed: cancelled: a newer update-model arrived; the model is unchanged$/) });
    expect(current().sha256).toBe(modelSha);
    expect(await store.active()).toMatchObject({ name: 'model', sha256: modelSha, url: `${base}/model.tflite` });
    expect(readdirSync(store.dir).sort()).toEqual(['active.json', `${modelSha}.tflite`]);
  });

  it('checks its arguments before anything is fetched', async () => {
    await setUp(async (file, name) => fakeLoaded(file, name, []));
    const bad = await t.ctx.commands.execute('update-model', JSON.stringify({ id: 'b', url: 'ftp://x/m.tflite', sha256: 'abc', labelsSha256: modelSha }));
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/^bad arguments for update-model: /) });
    expect((bad as { error: string }).error).toMatch(/url must match pattern/);
    expect((bad as { error: string }).error).toMatch(/sha256 must match pattern/);
  });
});
