import type { EventEmitter } from 'node:events';
import type { AgentContext } from './context.js';
import type { AgentEventMap } from './events.js';

/**
 * A part of the agent that the controller starts and stops: camera, gpio, pipeline,
 * mqtt, telemetry, metrics. start() may throw to abort start-up with a clear error;
 * stop() must not throw and must release everything start() took.
 */
export interface Extension {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Listener<K extends keyof AgentEventMap> = (...args: AgentEventMap[K]) => void;

/**
 * The base of the parts that listen to the agent's events (as Zigbee2MQTT's extensions do):
 * they subscribe through listen(), and stop() removes every listener its part added, so a
 * stopped or restarted part can never be called back, nor leak listeners, however it
 * subscribed. A part that overrides stop() calls super.stop() where its listening should end.
 */
export abstract class AgentPart implements Extension {
  abstract readonly name: string;
  private readonly subscriptions: (() => void)[] = [];

  constructor(protected readonly ctx: AgentContext) {}

  abstract start(): Promise<void>;

  async stop(): Promise<void> {
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
  }

  /** Calls `listener` on `event` until stop(). */
  protected listen<K extends keyof AgentEventMap>(event: K, listener: Listener<K>): void {
    const events = this.ctx.events as unknown as EventEmitter;
    events.on(event, listener as (...args: unknown[]) => void);
    this.subscriptions.push(() => events.off(event, listener as (...args: unknown[]) => void));
  }

  /** Calls `listener` on the next `event` only, unless stop() comes first. */
  protected listenOnce<K extends keyof AgentEventMap>(event: K, listener: Listener<K>): void {
    const events = this.ctx.events as unknown as EventEmitter;
    events.once(event, listener as (...args: unknown[]) => void);
    this.subscriptions.push(() => events.off(event, listener as (...args: unknown[]) => void));
  }
}
