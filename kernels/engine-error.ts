/**
 * The native engine was asked for by name and cannot run here (the addon was not built, or
 * EDGE_AGENT_KERNEL_PATH names a path this CPU or build lacks); the message says which. Its
 * own class, so that callers can tell a missing part of the machine from a bad model.
 */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}
