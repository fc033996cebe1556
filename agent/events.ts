import { EventEmitter } from 'node:events';
import type { ResultPayload } from './result.js';

/** What the agent's parts tell each other. Listeners must not throw. */
export interface AgentEventMap {
  /** A result was recorded (and will be delivered). */
  result: [ResultPayload];
  /** A telemetry snapshot is ready to publish. */
  telemetry: [Record<string, unknown>];
  /** The broker connection came up or went down. */
  broker: [{ connected: boolean }];
  /** A part's health changed: degraded with a reason, or recovered (reason null). */
  health: [{ part: string; degraded: boolean; reason: string | null }];
  /** Something asked for a capture now (GPIO trigger, MQTT command). */
  trigger: [{ source: string }];
}

export class AgentEvents extends EventEmitter<AgentEventMap> {}
