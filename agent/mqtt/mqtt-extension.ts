import { connect, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import { reportHealth, type AgentContext } from '../core/context.js';
import { versionText } from '../core/build-info.js';
import { AgentPart } from '../core/extension.js';
import { Backoff } from './backoff.js';
import { CommandTransport } from './command-transport.js';
import { describeConnectionError } from './connection-error.js';
import { connectionOptions } from './connection-options.js';
import { discoveryMessages, objectDiscoveryMessages, type DiscoveryMessage } from './discovery.js';
import { registerMqttMetrics } from './mqtt-metrics.js';
import { openEventOutbox, openOutbox } from '../outbox/open-outbox.js';
import type { ObjectEventPayload } from '../pipeline/result.js';
import type { Outbox } from '../outbox/outbox.js';
import { ResultDelivery } from './result-delivery.js';
import { deviceTopics, type DeviceTopics } from './topics.js';

export interface MqttExtensionOptions {
  /** The broker; default: the configuration's mqtt.url. The run command passes the embedded broker's url. */
  url?: string;
  /** How long stop() waits for outstanding results and commands before it disconnects (default 5 s). */
  drainTimeoutMs?: number;
}

/** The cause of a close that mqtt.js reported no error for: the broker (or the network) closed the connection. */
const CLOSED = 'the connection was closed';
/** A connection the broker closed sooner than this after accepting it (or 3 reconnect delays, if longer) counts as short. */
const SHORT_CONNECTION_MS = 10_000;
/** Short connections in a row that are taken for another client with our client id. */
const TAKEOVER_RUN = 3;

/** Resolves true if `promise` settles within `ms`, false otherwise. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true, () => true), timeout]).finally(() => clearTimeout(timer));
}

/**
 * The agent's MQTT part (the contract in README.md, "MQTT topics"): retained status with a Last Will, results
 * from the durable outbox at QoS 1 in seq order, telemetry at QoS 0 while connected,
 * commands with responses, and Home Assistant discovery, re-sent after every (re)connect
 * and on Home Assistant's birth message. start() opens the outbox and makes it the
 * context's result sink; it does not wait for the broker, which may come later.
 */
export class MqttExtension extends AgentPart {
  readonly name = 'mqtt';
  private readonly log: Logger;
  private client: MqttClient | null = null;
  private outbox: Outbox | null = null;
  private delivery: ResultDelivery | null = null;
  private eventOutbox: Outbox<ObjectEventPayload> | null = null;
  private eventDelivery: ResultDelivery | null = null;
  private commands: CommandTransport | null = null;
  private unregisterMetrics: (() => void) | null = null;
  private topics: DeviceTopics | null = null;
  private discovery: DiscoveryMessage[] = [];
  private objectDiscovery: DiscoveryMessage[] = [];
  private discoveryOptions: Parameters<typeof discoveryMessages>[0] | null = null;
  private backoff: Backoff | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connected = false;
  /** The broker confirmed our subscriptions in the session it holds. */
  private subscribed = false;
  private stopping = false;
  private url = '';
  /** The last error mqtt.js reported for the current connection attempt. */
  private lastError: string | null = null;
  /** The cause of failed connection attempts already logged in this outage. */
  private reportedFailure: string | null = null;
  private disconnectedAt: number | null = null;
  private reconnects = 0;
  private clientId = '';
  private connectedAt = 0;
  private lastingTimer: NodeJS.Timeout | null = null;
  /** Connections in a row that the broker closed soon after accepting them. */
  private shortConnections = 0;
  private readonly onTelemetry = (snapshot: Record<string, unknown>): void => this.publishTelemetry(snapshot);
  /** The latest count of objects in view per label and per zone/label, as edge/<id>/<key> holds them (retained). */
  private readonly counts = new Map<string, number>();
  /** The latest picture per label, as edge/<id>/<label>/snapshot holds it (retained). */
  private readonly snapshots = new Map<string, Buffer>();
  private readonly onSnapshot = ({ label, jpeg }: { label: string; jpeg: Buffer }): void => {
    this.snapshots.set(label, jpeg);
    if (this.connected) this.publish(`${this.topics!.base}/${label}/snapshot`, jpeg, true);
  };
  private readonly onCounts = (counts: Record<string, number>): void => {
    // The first counts say what the detector follows: its entities join discovery from then on.
    const keys = Object.keys(counts);
    if (this.ctx.config.mqtt.discovery.enabled && keys.some((k) => !this.counts.has(k))) {
      this.objectDiscovery = objectDiscoveryMessages(this.discoveryOptions!, keys);
      if (this.connected) for (const { topic, payload } of this.objectDiscovery) this.publish(topic, payload, true);
    }
    for (const [key, n] of Object.entries(counts)) {
      if (this.counts.get(key) === n) continue;
      this.counts.set(key, n);
      if (this.connected) this.publish(`${this.topics!.base}/${key}`, String(n), true);
    }
  };

  constructor(ctx: AgentContext, private readonly options: MqttExtensionOptions = {}) {
    super(ctx);
    this.log = ctx.log.child({ part: 'mqtt' });
  }

  /** Whether the broker connection is up now (status pages). */
  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const config = ctx.config.mqtt;
    const url = this.options.url ?? config.url;
    if (!url) throw new ConfigError(['mqtt.url: no broker is configured; set mqtt.url or --mqtt-url (with --simulate an embedded broker is started)']);
    const topics = deviceTopics(config.prefix, ctx.deviceId);
    const clientOptions = await connectionOptions(config, ctx.deviceId, url, topics.status);
    this.discoveryOptions = { prefix: config.discovery.prefix, deviceId: ctx.deviceId, topics, swVersion: versionText(), telemetrySeconds: config.telemetrySeconds };
    this.discovery = config.discovery.enabled ? discoveryMessages(this.discoveryOptions) : [];
    const outbox = await openOutbox(ctx);
    let eventOutbox: Outbox<ObjectEventPayload>;
    try {
      eventOutbox = await openEventOutbox(ctx);
    } catch (err) {
      await outbox.close();
      throw err;
    }
    ctx.results = outbox;
    ctx.objectEvents = eventOutbox;
    this.outbox = outbox;
    this.eventOutbox = eventOutbox;
    this.topics = topics;
    this.url = url;
    this.clientId = clientOptions.clientId!;
    this.shortConnections = 0;
    this.stopping = false;
    this.backoff = new Backoff(config.reconnectSeconds * 1000);
    this.log.info({ url, clientId: clientOptions.clientId }, 'connecting to the MQTT broker');
    let client: MqttClient;
    try {
      client = connect(url, clientOptions);
    } catch (err) {
      await outbox.close();
      await eventOutbox.close();
      ctx.results = null;
      ctx.objectEvents = null;
      this.outbox = null;
      this.eventOutbox = null;
      throw new ConfigError([`mqtt.url: ${url}: ${(err as Error).message}`]);
    }
    this.client = client;
    this.delivery = new ResultDelivery(outbox, client, topics.result, this.log);
    this.eventDelivery = new ResultDelivery(eventOutbox, client, topics.events, this.log);
    this.commands = new CommandTransport(
      (name, payload, options) => ctx.commands.execute(name, payload, options),
      (name, response) => this.publish(topics.response(name), JSON.stringify(response), false),
      this.log,
    );
    client.on('connect', (connack) => this.onConnect(connack));
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.onError(err));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    this.listen('telemetry', this.onTelemetry);
    this.listen('objectCounts', this.onCounts);
    this.listen('snapshot', this.onSnapshot);
    this.unregisterMetrics = registerMqttMetrics(ctx.metrics, { outbox: () => outbox.stats(), connected: () => this.connected, reconnects: () => this.reconnects });
  }

  /**
   * Delivers what is outstanding (bounded by drainTimeoutMs), publishes `offline` and
   * disconnects gracefully; results not delivered by then stay in the outbox for the next start.
   */
  override async stop(): Promise<void> {
    // No telemetry is published while the outstanding results drain.
    await super.stop();
    const { client, outbox, delivery, eventOutbox, eventDelivery, commands } = this;
    if (!client || !outbox || !delivery || !eventOutbox || !eventDelivery || !commands || !this.topics) return;
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.lastingTimer) clearTimeout(this.lastingTimer);
    this.reconnectTimer = this.lastingTimer = null;
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 5000);
    const left = (): number => Math.max(0, deadline - Date.now());
    commands.close();
    await within(commands.idle(), left());
    await within(Promise.all([delivery.drained(), eventDelivery.drained()]), left());
    delivery.detach();
    eventDelivery.detach();
    let graceful = false;
    if (client.connected) {
      const offline = client.publishAsync(this.topics.status, 'offline', { qos: 1, retain: true });
      graceful = (await within(offline, left() + 1000)) && client.connected;
      if (graceful && Object.keys(client.outgoing).length > 0) {
        await within(new Promise<void>((resolve) => client.once('outgoingEmpty', () => resolve())), left() + 1000);
      }
    }
    // Without a DISCONNECT the broker publishes our Last Will, which says offline too.
    if (!(await within(client.endAsync(!graceful || Object.keys(client.outgoing).length > 0), 2000))) client.stream?.destroy();
    await outbox.close();
    await eventOutbox.close();
    if (this.ctx.results === outbox) this.ctx.results = null;
    if (this.ctx.objectEvents === eventOutbox) this.ctx.objectEvents = null;
    this.unregisterMetrics?.();
    this.unregisterMetrics = null;
    const undelivered = outbox.depth();
    this.log.info({ undelivered }, undelivered > 0 ? 'disconnected; undelivered results stay in the outbox for the next start' : 'disconnected');
    this.client = null;
    this.outbox = null;
    this.delivery = null;
    this.eventOutbox = null;
    this.eventDelivery = null;
    this.commands = null;
  }

  private onConnect(connack: IConnackPacket): void {
    const topics = this.topics!;
    // Commands, responses and results are small packets answered by small packets: with
    // Nagle's algorithm each waits for the broker's delayed ACK (~40 ms per round trip).
    (this.client?.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
    this.connected = true;
    this.connectedAt = Date.now();
    this.backoff!.reset();
    this.reportedFailure = null;
    const downSeconds = this.disconnectedAt === null ? null : Math.round((Date.now() - this.disconnectedAt) / 100) / 10;
    if (downSeconds !== null) this.reconnects++;
    this.log.info({ sessionPresent: connack.sessionPresent, downSeconds, outboxDepth: this.outbox!.depth() }, downSeconds === null ? 'connected to the MQTT broker' : 'reconnected to the MQTT broker');
    this.publish(topics.status, 'online', true);
    // A broker that lost our session (restarted without persistence) needs the subscriptions again.
    if (!connack.sessionPresent || !this.subscribed) this.subscribe();
    this.publishDiscovery();
    // Retained state, sent again in case the broker lost it (restarted without persistence).
    for (const [key, n] of this.counts) this.publish(`${topics.base}/${key}`, String(n), true);
    for (const [label, jpeg] of this.snapshots) this.publish(`${topics.base}/${label}/snapshot`, jpeg, true);
    this.delivery!.connected();
    this.eventDelivery!.connected();
    this.ctx.events.emit('broker', { connected: true });
    this.watchForLastingConnection();
  }

  private onClose(): void {
    if (this.lastingTimer) clearTimeout(this.lastingTimer);
    this.lastingTimer = null;
    const cause = this.lastError ?? CLOSED;
    this.lastError = null;
    if (this.connected) {
      this.connected = false;
      this.disconnectedAt = Date.now();
      this.delivery?.disconnected();
      this.eventDelivery?.disconnected();
      this.ctx.events.emit('broker', { connected: false });
      if (!this.stopping) this.reportLoss(cause);
    } else if (!this.stopping && cause !== this.reportedFailure) {
      // Once per outage and cause, not per attempt.
      this.log.warn({ url: this.url, cause }, 'cannot connect to the MQTT broker; retrying with backoff');
      this.reportedFailure = cause;
    }
    if (this.stopping || this.reconnectTimer || !this.client) return;
    const delayMs = this.backoff!.next();
    this.log.debug({ delayMs }, 'reconnecting to the MQTT broker');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      const client = this.client;
      // Passing the stores keeps commands' responses that were in flight (results are taken back on close).
      client?.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delayMs);
  }

  /**
   * A broker closes a connection without a word (MQTT 3.1.1) when another client connects
   * with the same client id: it hands the session to the newcomer. Two devices with one id
   * push each other off at every reconnect, so a run of connections the broker closed soon
   * after accepting them is named for what it most likely is, once, and the individual
   * losses are no longer logged as warnings until a connection lasts.
   */
  private reportLoss(cause: string): void {
    const closedByBroker = cause === CLOSED;
    const short = Date.now() - this.connectedAt < this.shortConnectionMs();
    this.shortConnections = closedByBroker && short ? this.shortConnections + 1 : 0;
    if (this.shortConnections === TAKEOVER_RUN) {
      const reason =
        `the broker closed the connection right after accepting it, ${this.shortConnections} times in a row: another client is most likely ` +
        `connected with the same client id '${this.clientId}' and takes the session over at every reconnect; ` +
        'give each device its own device.id, or set a unique mqtt.clientId';
      this.log.warn({ clientId: this.clientId, connections: this.shortConnections }, reason);
      // Results still flow between takeovers, but a device that keeps losing its session is not healthy.
      reportHealth(this.ctx, 'mqtt', `another client uses the client id '${this.clientId}' (the broker hands it the session at every reconnect)`);
    }
    const level = this.shortConnections >= TAKEOVER_RUN ? 'debug' : 'warn';
    this.log[level]({ cause, outboxDepth: this.outbox?.depth() }, 'lost the MQTT broker connection; results are kept in the outbox until it is back');
  }

  /** How long a connection must last to count as more than a takeover's brief window. */
  private shortConnectionMs(): number {
    return Math.max(SHORT_CONNECTION_MS, 3 * this.ctx.config.mqtt.reconnectSeconds * 1000);
  }

  /** A connection that lasts ends a run of takeovers: the other client is gone. */
  private watchForLastingConnection(): void {
    if (!this.ctx.degraded.has('mqtt')) return;
    this.lastingTimer = setTimeout(() => {
      this.lastingTimer = null;
      if (!this.connected) return;
      this.shortConnections = 0;
      this.log.info({ clientId: this.clientId }, 'the connection lasts again: no other client takes the session over any more');
      reportHealth(this.ctx, 'mqtt', null);
    }, this.shortConnectionMs());
  }

  /** mqtt.js reports a failure as 'error' and then 'close'; the close reports it. */
  private onError(err: Error): void {
    this.lastError = describeConnectionError(err);
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const config = this.ctx.config.mqtt;
    if (config.discovery.enabled && topic === `${config.discovery.prefix}/status`) {
      // A retained birth message adds nothing: discovery is always sent on connect.
      if (!packet.retain && payload.toString('utf8').trim() === 'online') this.publishDiscovery();
      return;
    }
    const name = this.topics!.commandName(topic);
    if (name !== null) this.commands!.receive({ topic, name, payload, retained: packet.retain });
  }

  private subscribe(): void {
    const config = this.ctx.config.mqtt;
    const filters: Record<string, { qos: 1 }> = { [this.topics!.commands]: { qos: 1 } };
    if (config.discovery.enabled) filters[`${config.discovery.prefix}/status`] = { qos: 1 };
    this.client!.subscribe(filters, (err, granted) => {
      if (err) {
        if (!this.stopping) this.log.debug({ err: err.message }, 'subscription not confirmed; it is sent again on reconnect');
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) this.log.error({ topics: refused }, 'the broker refused these subscriptions (check its ACL): commands will not arrive');
      this.subscribed = refused.length === 0;
    });
  }

  private publishDiscovery(): void {
    for (const { topic, payload } of [...this.discovery, ...this.objectDiscovery]) this.publish(topic, payload, true);
  }

  /** Telemetry is not durable: published at QoS 0 while connected, otherwise dropped. */
  private publishTelemetry(snapshot: Record<string, unknown>): void {
    if (!this.connected || !this.client || !this.topics) return;
    this.client.publish(this.topics.telemetry, JSON.stringify({ outbox: this.outbox!.stats(), ...snapshot }), { qos: 0 });
  }

  /** QoS 1 publish of status, discovery and command responses (mqtt.js holds them across a reconnect). */
  private publish(topic: string, payload: string | Buffer, retain: boolean): void {
    this.client?.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (err && !this.stopping) this.log.debug({ topic, err: err.message }, 'publish failed');
    });
  }
}
