import { createHash } from 'node:crypto';
import type { CommandResponse } from '../control/registry.js';

export interface RecentCommand {
  /** SHA-256 of the payload: a redelivery is byte for byte the same command. */
  digest: string;
  response: Promise<CommandResponse>;
}

export const payloadDigest = (payload: Buffer): string => createHash('sha256').update(payload).digest('base64');

/**
 * The responses of recent commands by command name and id, so that a command delivered
 * again is answered, not run again. Bounded in count and in age: the oldest is forgotten
 * first.
 */
export class RecentCommands {
  private readonly entries = new Map<string, RecentCommand & { at: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  get(name: string, id: string): RecentCommand | undefined {
    this.forgetExpired();
    return this.entries.get(key(name, id));
  }

  set(name: string, id: string, command: RecentCommand): void {
    const k = key(name, id);
    this.entries.delete(k);
    this.entries.set(k, { ...command, at: Date.now() });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets the command set with `response`, unless a newer one has taken its place. */
  forget(name: string, id: string, response: Promise<CommandResponse>): void {
    const k = key(name, id);
    if (this.entries.get(k)?.response === response) this.entries.delete(k);
  }

  /** Entries are in the order they were set, so the expired ones are at the front. */
  private forgetExpired(): void {
    const oldest = Date.now() - this.maxAgeMs;
    for (const [k, entry] of this.entries) {
      if (entry.at > oldest) break;
      this.entries.delete(k);
    }
  }
}

const key = (name: string, id: string): string => `${name}\u0000${id}`;
