/** The topics of the MQTT contract (README.md, "MQTT topics") for one device. */
export interface DeviceTopics {
  /** <prefix>/<id>: retained object counts go under it (<label>, <zone>/<label>). */
  base: string;
  status: string;
  result: string;
  telemetry: string;
  /** A detector's object events. */
  events: string;
  /** Subscription filter for commands: <prefix>/<id>/cmd/+ (one level, so never our responses). */
  commands: string;
  response(command: string): string;
  /** The command a message on `topic` names, or null if the topic is not a command topic. */
  commandName(topic: string): string | null;
}

export function deviceTopics(prefix: string, deviceId: string): DeviceTopics {
  const base = `${prefix}/${deviceId}`;
  const commandBase = `${base}/cmd/`;
  return {
    base,
    status: `${base}/status`,
    result: `${base}/result`,
    telemetry: `${base}/telemetry`,
    events: `${base}/events`,
    commands: `${commandBase}+`,
    response: (command) => `${commandBase}${command}/response`,
    commandName(topic) {
      if (!topic.startsWith(commandBase)) return null;
      const name = topic.slice(commandBase.length);
      return name.includes('/') ? null : name;
    },
  };
}
