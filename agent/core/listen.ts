import type { Server } from 'node:net';

/** A server that could not listen: `code` is the system's (EADDRINUSE for a port in use). */
export class ListenError extends Error {
  override readonly name = 'ListenError';

  constructor(readonly what: string, readonly host: string, readonly port: number, readonly code: string | undefined, cause: Error) {
    super(`${what}: cannot listen on ${host}:${port}: ${cause.message}`, { cause });
  }
}

/**
 * Listens, or rejects with a ListenError that names what could not listen where (a port in
 * use, a host that is no address of this machine), for every server the agent runs.
 */
export function listen(server: Server, host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(new ListenError(what, host, port, err.code, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
