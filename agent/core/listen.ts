import type { Server } from 'node:net';

/**
 * Listens, or rejects with an error that names what could not listen where (a port in
 * use, a host that is no address of this machine), for every server the agent runs.
 */
export function listen(server: Server, host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`${what}: cannot listen on ${host}:${port}: ${err.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
