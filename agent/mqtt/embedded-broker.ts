import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { listen } from '../core/listen.js';

export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  /** Disconnects every client and stops listening. */
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  log: Logger;
  /** Loopback by default: the embedded broker is for a first run on one machine. */
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
}

/**
 * An in-process MQTT broker (aedes, sessions in memory) for `run --simulate` with no
 * broker configured, so that a first run works alone.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await listen(server, host, options.port ?? 0, 'embedded MQTT broker');
  const { port } = server.address() as { port: number };
  const url = `mqtt://${host}:${port}`;
  options.log.info({ url }, 'no MQTT broker configured: started an embedded broker (aedes); set mqtt.url to use a real one');
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
