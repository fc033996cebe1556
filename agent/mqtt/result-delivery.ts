import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Outbox, OutboxPayload } from '../outbox/outbox.js';

/** QoS 1 results published and not yet acknowledged, at most. */
const DELIVERY_WINDOW = 16;

/**
 * Publishes recorded results from the outbox in seq order at QoS 1 while the broker is
 * connected, and removes each from the outbox on its PUBACK.
 *
 * When the connection drops, results in flight are taken back out of mqtt.js's own store
 * (otherwise mqtt.js would resend them on reconnect, before or after ours); after a
 * reconnect delivery starts again from the oldest unacknowledged result. So the broker
 * may see a result twice (when only its PUBACK was lost), never miss one, and the first
 * arrivals of results are always in seq order.
 */
export class ResultDelivery {
  /** seq -> mqtt message id of the publish in flight. */
  private readonly inFlight = new Map<number, number>();
  /** The next seq to publish. */
  private cursor = 0;
  private online = false;
  private drainWaiters: (() => void)[] = [];
  private readonly pump = (): void => this.send();

  constructor(
    private readonly outbox: Outbox<OutboxPayload>,
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly log: Logger,
  ) {
    outbox.on('recorded', this.pump);
  }

  connected(): void {
    this.online = true;
    this.cursor = 0;
    this.outbox.expire();
    this.send();
  }

  disconnected(): void {
    this.online = false;
    const messageIds = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const id of messageIds) this.client.removeOutgoingMessage(id);
    this.settleDrain();
  }

  /** Resolves when the outbox is empty, or the connection drops. */
  drained(): Promise<void> {
    if (!this.online || this.outbox.depth() === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  detach(): void {
    this.outbox.off('recorded', this.pump);
    this.online = false;
    this.settleDrain();
  }

  private send(): void {
    const { client } = this;
    while (this.online && client.connected && !client.disconnecting && this.inFlight.size < DELIVERY_WINDOW) {
      const entry = this.outbox.next(this.cursor);
      if (!entry) break;
      const { seq } = entry;
      let messageId: number | null = null;
      let refused = false;
      client.publish(this.topic, entry.bytes, { qos: 1 }, (err) => {
        if (messageId === null) {
          refused = true;
          return;
        }
        // A callback of a publish that was taken back (connection lost) changes nothing.
        if (this.inFlight.get(seq) !== messageId) return;
        this.inFlight.delete(seq);
        if (err) {
          this.log.debug({ seq, err: err.message }, 'result publish failed; it will be sent again');
          this.cursor = Math.min(this.cursor, seq);
        } else {
          this.outbox.ack(seq);
        }
        this.send();
        this.settleDrain();
      });
      if (refused) break;
      // mqtt.js assigns the id synchronously while connected (its store replay is over by 'connect').
      messageId = client.getLastMessageId();
      this.inFlight.set(seq, messageId);
      this.cursor = seq + 1;
    }
  }

  private settleDrain(): void {
    if (this.online && this.outbox.depth() > 0) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
