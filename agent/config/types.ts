// The configuration as the agent uses it, after defaults, the user's file, environment
// variables and flags are merged and validated: the types come from its definition.
import type { AgentConfig } from './definition.js';

export type { AgentConfig };
export type Engine = AgentConfig['model']['engine'];
export type CameraType = AgentConfig['camera']['type'];
export type TriggerMode = AgentConfig['trigger']['mode'];
