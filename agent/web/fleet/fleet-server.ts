import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AccessGuard, isLoopback } from '../access.js';
import { close, listen, sendText } from '../http.js';
import { EventHub } from '../sse.js';
import { pageFiles, sendFile } from '../static-files.js';
import type { DeviceRow, FleetState } from './fleet-state.js';
import type { BrokerState } from './fleet-watch.js';

const files = pageFiles('fleet.html', ['fleet.js', 'fleet.css']);
// Changed rows are sent together at most this often, so a busy fleet does not redraw the
// table for every result of every device.
const BATCH_MS = 500;

export interface FleetServerOptions {
  host: string;
  port: number;
  /** Required on every request when set (see AccessGuard). */
  token: string | null;
  broker(): BrokerState;
}

/** The fleet page: every device's row, live by server-sent events while a browser looks. */
export class FleetServer {
  private readonly hub = new EventHub({ first: () => {}, last: () => this.discardChanges() });
  private readonly guard: AccessGuard;
  private readonly changed = new Map<string, DeviceRow>();
  private timer: NodeJS.Timeout | null = null;
  private server: Server | null = null;

  constructor(private readonly state: FleetState, private readonly options: FleetServerOptions) {
    this.guard = new AccessGuard({
      token: options.token,
      loopback: isLoopback(options.host),
      port: options.port,
      hint: 'open the address edge-agent fleet printed, with ?token=<token>',
    });
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await listen(server, this.options.host, this.options.port, 'fleet');
    this.server = server;
  }

  async stop(): Promise<void> {
    this.hub.closeAll();
    if (this.server) await close(this.server);
    this.server = null;
  }

  /** A device's row changed: it goes out with the next batch (if anyone is looking). */
  deviceChanged(row: DeviceRow): void {
    if (this.hub.size === 0) return;
    this.changed.set(row.id, row);
    this.timer ??= setTimeout(() => this.sendChanges(), BATCH_MS);
  }

  brokerChanged(state: BrokerState): void {
    this.hub.broadcast('broker', state);
  }

  private sendChanges(): void {
    this.timer = null;
    this.hub.broadcast('devices', [...this.changed.values()]);
    this.changed.clear();
  }

  private discardChanges(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.changed.clear();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fleet');
    if (!this.guard.admit(req, res, url)) return;
    const file = files.get(url.pathname);
    if (req.method === 'GET' && file) return sendFile(res, file);
    if (req.method === 'GET' && url.pathname === '/events') {
      return this.hub.connect(req, res, (send) => {
        send('broker', this.options.broker());
        send('devices', this.state.rows());
      });
    }
    sendText(res, 404, `not found: ${req.method} ${url.pathname}`);
  }
}
