// The command registry runs commands one at a time whichever way they came in (MQTT and
// the web page both call execute): a second command waits for the first to settle, and a
// command that fails does not hold up the next.
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../agent/control/registry.js';

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('CommandRegistry', () => {
  it('starts a command only after the one before it has finished', async () => {
    const registry = new CommandRegistry();
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

  it('runs the next command after one that failed, and answers each', async () => {
    const registry = new CommandRegistry();
    registry.register('fail', { args: { properties: {} }, run: async () => Promise.reject(new Error('camera gone')) });
    registry.register('ok', { args: { properties: {} }, run: async () => ({ done: true }) });

    const [failed, ok] = await Promise.all([registry.execute('fail', '{}'), registry.execute('ok', '{}')]);
    expect(failed).toEqual({ id: null, ok: false, error: 'camera gone' });
    expect(ok).toEqual({ id: null, ok: true, done: true });
  });

  it('answers a refused payload at once, without waiting for a running command', async () => {
    const registry = new CommandRegistry();
    const running = gate();
    registry.register('slow', { args: { properties: {} }, run: async () => (await running.opened, {}) });
    const slow = registry.execute('slow', '{}');
    expect(await registry.execute('slow', 'not json')).toMatchObject({ ok: false, error: expect.stringMatching(/^payload is not JSON/) });
    running.open();
    expect(await slow).toEqual({ id: null, ok: true });
  });
});
