import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import { ConfigError, configPath } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';

type MqttConfig = AgentConfig['mqtt'];

async function readTlsFile(key: 'ca' | 'cert' | 'key', file: string | null): Promise<Buffer | undefined> {
  if (file === null) return undefined;
  const path = configPath(file);
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`mqtt.tls.${key}: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`]);
  }
}

/**
 * The user name, password and TLS files of the mqtt section, read: what any client of the
 * configured broker needs (the agent, the fleet view). How these keys go together is
 * checked when the configuration is loaded (agent/config/definition.ts); TLS files are
 * left out for a plain mqtt:// broker, such as the embedded one of --simulate.
 */
export async function brokerCredentials(mqtt: MqttConfig, url: string): Promise<IClientOptions> {
  const { tls } = mqtt;
  const secure = /^(mqtts|wss):/i.test(url);
  const credentials: IClientOptions = {
    ...(mqtt.username !== null ? { username: mqtt.username } : {}),
    ...(mqtt.password !== null ? { password: mqtt.password } : {}),
  };
  if (!secure) return credentials;
  const [ca, cert, key] = await Promise.all([readTlsFile('ca', tls.ca), readTlsFile('cert', tls.cert), readTlsFile('key', tls.key)]);
  return { ...credentials, ca, cert, key, rejectUnauthorized: tls.rejectUnauthorized };
}

/**
 * mqtt.js options for the agent's connection.
 *
 * - clean: false, so the broker keeps our command subscription and queues QoS 1 commands
 *   sent during a Wi-Fi drop-out (results do not depend on it: the outbox replays them).
 * - reconnectPeriod: 0 and queueQoSZero: false: reconnects (with backoff) are ours, and
 *   nothing is queued inside mqtt.js while offline; results are only published while
 *   connected, from the outbox, so their order and delivery are decided in one place.
 * - resubscribe: false: the extension subscribes itself whenever the broker has no session
 *   with our subscriptions confirmed, including after a drop between CONNACK and SUBACK.
 * - The Last Will marks the device offline (retained) when the connection dies.
 */
export async function connectionOptions(mqtt: MqttConfig, deviceId: string, url: string, statusTopic: string): Promise<IClientOptions> {
  return {
    clientId: mqtt.clientId ?? `edge-agent-${deviceId}`,
    protocolVersion: 4,
    clean: false,
    keepalive: mqtt.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    queueQoSZero: false,
    resubscribe: false,
    will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    ...(await brokerCredentials(mqtt, url)),
  };
}
