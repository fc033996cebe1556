// HTTP as bytes on a raw TCP socket, for requests no HTTP client would send: broken request
// lines, bad encodings, oversized or half-sent headers and bodies, and clients that send
// slowly or not at all.
import { connect } from 'node:net';

/** A piece of a request: bytes to write, or a pause before the next piece. */
export type Piece = Buffer | string | { pauseMs: number };

export interface Exchange {
  /** The status of the first final (non-1xx) answer, or null when none came. */
  status: number | null;
  /** The server closed the connection without a final answer. */
  closed: boolean;
  /** The client gave up waiting (neither an answer nor a close within giveUpMs). */
  gaveUp: boolean;
  ms: number;
}

export interface ExchangeOptions {
  /** Half-close after the last piece, as a client that has nothing more to send. */
  end?: boolean;
  /** After the pieces, keep sending `bytes` every `everyMs` until the server answers or closes: a slow client. */
  dribble?: { bytes: string; everyMs: number };
  giveUpMs?: number;
}

const FINAL_STATUS = /^HTTP\/1\.[01] ([2-5]\d\d) /m;

/**
 * Sends the pieces and resolves with the first final answer's status, or with closed when
 * the server hung up first. The socket is destroyed as soon as the outcome is known, so an
 * event stream or a keep-alive connection does not linger.
 */
export function exchange(port: number, pieces: Piece[], options: ExchangeOptions = {}): Promise<Exchange> {
  const { end = false, dribble, giveUpMs = 30_000 } = options;
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const timers = new Set<NodeJS.Timeout>();
    const finish = (outcome: Omit<Exchange, 'ms'>): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      resolve({ ...outcome, ms: Date.now() - started });
    };
    const later = (ms: number, fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      const status = FINAL_STATUS.exec(received);
      if (status) finish({ status: Number(status[1]), closed: false, gaveUp: false });
    });
    socket.on('error', () => {});
    socket.on('close', () => finish({ status: null, closed: true, gaveUp: false }));
    later(giveUpMs, () => finish({ status: null, closed: false, gaveUp: true }));
    const write = (i: number): void => {
      if (settled || socket.destroyed) return;
      if (i === pieces.length) {
        if (dribble) later(dribble.everyMs, () => socket.write(dribble.bytes, () => write(i)));
        else if (end) socket.end();
        return;
      }
      const piece = pieces[i];
      if (typeof piece === 'object' && 'pauseMs' in piece) later(piece.pauseMs, () => write(i + 1));
      else socket.write(piece, () => write(i + 1));
    };
    socket.once('connect', () => write(0));
  });
}

/** What an exchange came to, as one word for tables and expectations: the status, closed, or no answer. */
export function outcome(e: Exchange): string {
  return e.status !== null ? String(e.status) : e.closed ? 'closed' : 'no answer';
}
