// The command registry runs commands one at a time whichever way they came in (MQTT and
// the web page both call execute): a second command waits for the first to settle, and a
// command that fails does not hold up the next. Its bound on waiting commands is shared by
// every way in, and a read-only command (status) never waits behind a slow one.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CommandRegistry, MAX_WAITING_COMMANDS } from '../../agent/control/registry.js';

/** A registry whose log records are kept, for the warnings it gives. */
function newRegistry(): { registry: CommandRegistry; logs: { level: number; msg: string }[] } {
  const logs: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return { registry: new CommandRegistry(log), logs };
}

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('CommandRegistry', () => {
  it('starts a command only after the one before it has finished', async () => {
    const { registry } = newRegistry();
    const events: string[] = [];
    const first = gate();
    registry.register('slow', {
      args: { properties: {} },
      run: async () => {
        events.push('slow start');
        await first.opened;
        events.push('slow end');
        return {};
      },
    });
    registry.register('quick', {
      args: { properties: {} },
      run: async () => {
        events.push('quick');
        return {};
      },
    });

    const slow = registry.execute('slow', '{"id":"a"}');
    const quick = registry.execute('quick', '{"id":"b"}');
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['slow start']);
    first.open();
    expect(await quick).toEqual({ id: 'b', ok: true });
    expect(await slow).toEqual({ id: 'a', ok: true });
    expect(events).toEqual(['slow start', 'slow end', 'quick']);
  });

  it('prepares a command (a download) beside the others, and runs it in its turn with what was prepared', async () => {
    const { registry } = newRegistry();
    const download = gate();
    const events: string[] = [];
    registry.register('update', {
      args: { properties: {} },
      prepare: async () => {
        events.push('download start');
        await download.opened;
        return 'file';
      },
      run: async (_args, prepared) => {
        events.push(`update with ${String(prepared)}`);
        return {};
      },
    });
    registry.register('pause', { args: { properties: {} }, run: async () => {
      events.push('pause');
      return {};
    } });
    registry.register('broken', { args: { properties: {} }, prepare: async () => Promise.reject(new Error('HTTP 404')), run: async () => ({}) });

    const update = registry.execute('update', '{"id":"u"}');
    // A command that arrives while the download goes on is not held up by it.
    expect(await registry.execute('pause', '{"id":"p"}')).toEqual({ id: 'p', ok: true });
    expect(events).toEqual(['download start', 'pause']);
    download.open();
    expect(await update).toEqual({ id: 'u', ok: true });
    expect(events).toEqual(['download start', 'pause', 'update with file']);
    // A failed preparation answers the command, and it never runs.
    expect(await registry.execute('broken', '{"id":"b"}')).toEqual({ id: 'b', ok: false, error: 'HTTP 404' });
  });

  it('runs the next command after one that failed, and answers each', async () => {
    const { registry } = newRegistry();
    registry.register('fail', { args: { properties: {} }, run: async () => Promise.reject(new Error('camera gone')) });
    registry.register('ok', { args: { properties: {} }, run: async () => ({ done: true }) });

    const [failed, ok] = await Promise.all([registry.execute('fail', '{}'), registry.execute('ok', '{}')]);
    expect(failed).toEqual({ id: null, ok: false, error: 'camera gone' });
    expect(ok).toEqual({ id: null, ok: true, done: true });
  });

  it('answers a refused payload at once, without waiting for a running command', async () => {
    const { registry } = newRegistry();
    const running = gate();
    registry.register('slow', { args: { properties: {} }, run: async () => (await running.opened, {}) });
    const slow = registry.execute('slow', '{}');
    expect(await registry.execute('slow', 'not json')).toMatchObject({ ok: false, error: expect.stringMatching(/^payload is not JSON/) });
    running.open();
    expect(await slow).toEqual({ id: null, ok: true });
  });

  it('answers a read-only command at once while a slow one holds the turn', async () => {
    const { registry } = newRegistry();
    const capture = gate();
    const events: string[] = [];
    registry.register('capture', { args: { properties: {} }, run: async () => (await capture.opened, events.push('capture'), {}) });
    registry.register('status', { args: { properties: {} }, readOnly: true, run: async () => (events.push('status'), { paused: false }) });
    registry.register('pause', { args: { properties: {} }, run: async () => (events.push('pause'), { paused: true }) });

    const slow = registry.execute('capture', '{"id":"c"}');
    const pause = registry.execute('pause', '{"id":"p"}');
    expect(await registry.execute('status', '{"id":"s"}')).toEqual({ id: 's', ok: true, paused: false });
    expect(events).toEqual(['status']);
    capture.open();
    await Promise.all([slow, pause]);
    // Commands that change something still take their turn in order.
    expect(events).toEqual(['status', 'capture', 'pause']);
  });

  it('bounds the commands waiting for their turn, from every way in together, and answers beyond it "busy" at once', async () => {
    const { registry, logs } = newRegistry();
    const running = gate();
    let runs = 0;
    registry.register('slow', { args: { properties: {} }, run: async () => (runs++, await running.opened, {}) });
    registry.register('status', { args: { properties: {} }, readOnly: true, run: async () => ({}) });

    // MQTT and the device page both call execute: half from each, as they would arrive.
    const admitted = Array.from({ length: MAX_WAITING_COMMANDS }, (_, i) => registry.execute('slow', i % 2 ? `{"id":"mqtt-${i}"}` : '{}'));
    const refused = await Promise.all([registry.execute('slow', '{"id":"one-too-many"}'), registry.execute('slow', '{}')]);
    expect(refused).toEqual([
      { id: 'one-too-many', ok: false, error: `busy: ${MAX_WAITING_COMMANDS} commands are waiting; try again later` },
      { id: null, ok: false, error: `busy: ${MAX_WAITING_COMMANDS} commands are waiting; try again later` },
    ]);
    // Refusals cost nothing and are said once; a read-only command is not held up by the bound.
    expect(logs.filter((r) => r.level === 40 && /busy|faster/.test(r.msg))).toHaveLength(1);
    expect(await registry.execute('status', '{"id":"s"}')).toEqual({ id: 's', ok: true });

    running.open();
    expect((await Promise.all(admitted)).every((r) => r.ok)).toBe(true);
    expect(runs).toBe(MAX_WAITING_COMMANDS);
    expect(await registry.execute('slow', '{"id":"later"}')).toEqual({ id: 'later', ok: true });
  });

  it('requires an id when the caller says so, and refuses a payload without one before it runs', async () => {
    const { registry } = newRegistry();
    let runs = 0;
    registry.register('pause', { args: { properties: {} }, run: async () => (runs++, { paused: true }) });
    expect(await registry.execute('pause', '{}', { requireId: true })).toEqual({ id: null, ok: false, error: expect.stringMatching(/no "id"/) });
    expect(await registry.execute('pause', '{"id":null}', { requireId: true })).toMatchObject({ ok: false, error: expect.stringMatching(/no "id"/) });
    expect(await registry.execute('pause', '{"id":"p"}', { requireId: true })).toEqual({ id: 'p', ok: true, paused: true });
    expect(await registry.execute('pause', '{}')).toEqual({ id: null, ok: true, paused: true });
    expect(runs).toBe(2);
  });
});
