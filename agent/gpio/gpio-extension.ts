import { reportHealth, type AgentContext } from '../core/context.js';
import { AgentPart } from '../core/extension.js';
import { createGpio, triggerUnavailable, type GpioParts } from './factory.js';
import { GpioError, type LedPattern } from './gpio.js';

const PART = 'gpio';

/**
 * The "gpio" part: a trigger edge becomes a 'trigger' event (source "gpio"), and the LED
 * follows the agent's state from its events:
 *
 *   error     while any part is degraded (ctx.degraded)
 *   offline   while the broker is down
 *   starting  until the broker first connects or the first result is recorded
 *   running   otherwise
 *
 * Start it early so the LED shows 'starting' while the rest comes up.
 */
export class GpioExtension extends AgentPart {
  readonly name = PART;
  private current: GpioParts | null = null;
  private brokerUp: boolean | null = null;
  private working = false;

  constructor(ctx: AgentContext, private readonly options: { simulate: boolean }) {
    super(ctx);
  }

  /** The trigger and LED while started (a simulated trigger to press, the LED to show). */
  get parts(): GpioParts | null {
    return this.current;
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const gpio = await createGpio(ctx, this.options);
    const idle = triggerUnavailable(ctx, gpio);
    if (idle !== null) {
      await gpio.close();
      throw new GpioError(idle);
    }
    this.current = gpio;
    ctx.log.info(gpio.describe());
    if (gpio.problem) {
      ctx.log.warn({ problem: gpio.problem }, 'GPIO is not working; the agent runs on without it');
      reportHealth(ctx, PART, gpio.problem);
    }
    gpio.trigger?.onTrigger(() => ctx.events.emit('trigger', { source: PART }));
    this.listen('broker', this.onBroker);
    this.listen('health', this.update);
    this.listenOnce('result', this.onResult);
    this.update();
  }

  override async stop(): Promise<void> {
    await this.current?.close();
    this.current = null;
    await super.stop();
  }

  private readonly onBroker = ({ connected }: { connected: boolean }): void => {
    this.brokerUp = connected;
    if (connected) this.working = true;
    this.update();
  };

  private readonly onResult = (): void => {
    this.working = true;
    this.update();
  };

  private readonly update = (): void => {
    this.current?.led?.show(this.pattern());
  };

  private pattern(): LedPattern {
    if (this.ctx.degraded.size > 0) return 'error';
    if (this.brokerUp === false) return 'offline';
    return this.working ? 'running' : 'starting';
  }
}
