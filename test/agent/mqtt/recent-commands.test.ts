// The agent's memory of recent command ids (agent/mqtt/recent-commands.ts), which keeps a
// command delivered twice from running twice: bounded in count and in age.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandResponse } from '../../../agent/control/registry.js';
import { payloadDigest, RecentCommands } from '../../../agent/mqtt/recent-commands.js';

const command = (id: string) => {
  const response: Promise<CommandResponse> = Promise.resolve({ id, ok: true });
  return { digest: payloadDigest(Buffer.from(JSON.stringify({ id }))), response };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('RecentCommands', () => {
  it('remembers by command name and id', () => {
    const recent = new RecentCommands(10, 60_000);
    const pause = command('a');
    recent.set('pause', 'a', pause);
    expect(recent.get('pause', 'a')).toEqual({ ...pause, at: expect.any(Number) });
    expect(recent.get('resume', 'a')).toBeUndefined();
    expect(recent.get('pause', 'b')).toBeUndefined();
  });

  it('forgets the oldest beyond its count', () => {
    const recent = new RecentCommands(3, 60_000);
    for (const id of ['a', 'b', 'c', 'd']) recent.set('pause', id, command(id));
    expect(['a', 'b', 'c', 'd'].map((id) => recent.get('pause', id) !== undefined)).toEqual([false, true, true, true]);
    // Setting an id again makes it the newest.
    recent.set('pause', 'b', command('b'));
    recent.set('pause', 'e', command('e'));
    expect(['b', 'c', 'd', 'e'].map((id) => recent.get('pause', id) !== undefined)).toEqual([true, false, true, true]);
  });

  it('forgets what is older than its age', () => {
    vi.useFakeTimers();
    const recent = new RecentCommands(10, 60_000);
    recent.set('pause', 'a', command('a'));
    vi.advanceTimersByTime(30_000);
    recent.set('pause', 'b', command('b'));
    vi.advanceTimersByTime(30_000);
    expect(recent.get('pause', 'a')).toBeUndefined();
    expect(recent.get('pause', 'b')).toBeDefined();
    vi.advanceTimersByTime(30_000);
    expect(recent.get('pause', 'b')).toBeUndefined();
  });

  it('forgets a response only if it is still the one remembered', () => {
    const recent = new RecentCommands(10, 60_000);
    const first = command('a');
    const second = command('a');
    recent.set('pause', 'a', first);
    recent.set('pause', 'a', second);
    recent.forget('pause', 'a', first.response);
    expect(recent.get('pause', 'a')?.response).toBe(second.response);
    recent.forget('pause', 'a', second.response);
    expect(recent.get('pause', 'a')).toBeUndefined();
  });
});
