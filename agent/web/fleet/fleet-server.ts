import type { Server } from 'node:http';
import { closeHttp } from '../../core/http-server.js';
import { AccessGuard, isLoopback } from '../access.js';
import { startPageServer } from '../page-server.js';
import { EventHub, MAX_UNSENT_BYTES } from '../sse.js';
import type { DeviceRow, FleetState } from './fleet-state.js';
import type { BrokerState } from './fleet-watch.js';

// Changed rows are sent together at most this often, so a busy fleet does not redraw the
// table for every result of every device.
const BATCH_MS = 500;
// Quiet devices are looked for this often at most (and four times per forgetAfterSeconds
// when that is shorter), so a row goes within a quarter of that time after it is due.
const FORGET_CHECK_MS = 30_000;

export interface FleetServerOptions {
  host: string;
  port: number;
  /** Required on every request when set (see AccessGuard). */
  token: string | null;
  /** A device not heard from for this long is forgotten: its row leaves the state and the open pages. */
  forgetAfterSeconds: number;
  broker(): BrokerState;
  /** Told when a request failed inside the server (it got a 500) or a connection could not be accepted. */
  report(err: Error, context: string): void;
}

/** The fleet page: every device's row, live by server-sent events while a browser looks. */
export class FleetServer {
  private readonly hub = new EventHub({
    last: () => this.discardChanges(),
    dropped: () => this.options.report(new Error(`over ${MAX_UNSENT_BYTES} bytes unsent; the browser reconnects`), 'fleet: dropped a live view that could not keep up'),
  });
  private readonly changed = new Map<string, DeviceRow>();
  private timer: NodeJS.Timeout | null = null;
  private forgetTimer: NodeJS.Timeout | null = null;
  private server: Server | null = null;

  constructor(private readonly state: FleetState, private readonly options: FleetServerOptions) {}

  async start(): Promise<void> {
    const { host, port, token } = this.options;
    this.server = await startPageServer({
      what: 'fleet',
      host,
      port,
      guard: new AccessGuard({ token, loopback: isLoopback(host), port, hint: 'open the address edge-agent fleet printed, with ?token=<token>' }),
      page: 'fleet.html',
      own: ['fleet.js', 'fleet.css'],
      route: (req, res, url) => {
        if (req.method !== 'GET' || url.pathname !== '/events') return false;
        this.hub.connect(req, res, (send) => {
          send('broker', this.options.broker());
          send('devices', this.state.rows());
        });
        return true;
      },
      report: this.options.report,
    });
    const forgetMs = this.options.forgetAfterSeconds * 1000;
    this.forgetTimer = setInterval(() => this.forget(new Date(Date.now() - forgetMs)), Math.min(forgetMs / 4, FORGET_CHECK_MS));
  }

  async stop(): Promise<void> {
    if (this.forgetTimer) clearInterval(this.forgetTimer);
    this.forgetTimer = null;
    this.hub.closeAll();
    if (this.server) await closeHttp(this.server);
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

  /** Forgets the devices not heard from since `before`, and tells the open pages to take their rows away. */
  private forget(before: Date): void {
    const gone = this.state.forget(before);
    if (gone.length === 0) return;
    for (const id of gone) this.changed.delete(id);
    this.hub.broadcast('forgotten', gone);
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
}
