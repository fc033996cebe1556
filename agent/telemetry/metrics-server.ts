import type { Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { buildInfo } from '../core/build-info.js';
import type { AgentContext } from '../core/context.js';
import type { Extension } from '../core/extension.js';
import { closeHttp, serveHttp } from '../core/http-server.js';
import { cpuTemperature, throttling } from './host.js';
import { FRAME_ERROR_CAUSES, type FrameErrorCause } from './run-stats.js';

// From 5 ms (inference of a small model on a PC) to 10 s (capture, inference and the outbox
// on a loaded Pi Zero): histograms, unlike summaries' quantiles, add up across a fleet.
const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A Prometheus counter that follows a running total the agent keeps itself, read at scrape time. */
export function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      this.inc(Math.max(0, now - last));
      last = now;
    },
  });
}

/** Prometheus metrics of the agent, collected from the run statistics at scrape time. */
export function registerAgentMetrics(ctx: AgentContext): void {
  const r: Registry = ctx.metrics;
  const { stats } = ctx;
  const counter = (name: string, help: string, read: () => number): void => totalCounter(r, name, help, read);
  counter('edge_agent_frames_captured_total', 'Frames captured', () => stats.framesCaptured);
  counter('edge_agent_results_total', 'Frames classified', () => stats.framesInferred);
  counter('edge_agent_frames_dropped_total', 'Frames replaced by a newer one while inference was busy', () => stats.framesDropped);
  counter('edge_agent_frames_still_total', 'Frames skipped by the motion gate', () => stats.framesStill);
  counter('edge_agent_capture_errors_total', 'Captures the camera failed', () => stats.captureErrors);
  counter('edge_agent_triggers_coalesced_total', 'Trigger edges dropped while one capture ran and another waited', () => stats.triggersCoalesced);
  const lost = new Map<FrameErrorCause, number>();
  new Counter({
    name: 'edge_agent_frame_errors_total',
    help: 'Captured frames that did not become results, by cause',
    labelNames: ['cause'],
    registers: [r],
    collect() {
      for (const cause of FRAME_ERROR_CAUSES) {
        const now = stats.frameErrors[cause];
        this.inc({ cause }, Math.max(0, now - (lost.get(cause) ?? 0)));
        lost.set(cause, now);
      }
    },
  });
  new Gauge({ name: 'edge_agent_outbox_depth', help: 'Results recorded and not yet acknowledged', registers: [r], collect() { this.set(ctx.results?.depth() ?? 0); } });
  new Gauge({ name: 'edge_agent_degraded', help: '1 while some part is degraded', registers: [r], collect() { this.set(ctx.degraded.size > 0 ? 1 : 0); } });
  const latency = new Histogram({ name: 'edge_agent_latency_seconds', help: 'Capture to recorded result', buckets: LATENCY_BUCKETS_SECONDS, registers: [r] });
  const inference = new Histogram({ name: 'edge_agent_inference_seconds', help: 'Inference time', buckets: LATENCY_BUCKETS_SECONDS, registers: [r] });
  ctx.events.on('result', (result) => {
    latency.observe(result.latencyMs.total / 1000);
    inference.observe(result.latencyMs.inference / 1000);
  });
  const build = buildInfo();
  new Gauge({ name: 'edge_agent_build_info', help: 'Always 1; the labels say which build runs', labelNames: ['version', 'commit', 'built_at', 'node'], registers: [r] })
    .set({ version: build.version, commit: build.commit ?? '', built_at: build.builtAt ?? '', node: process.version }, 1);
}

/**
 * The process's own metrics (CPU, memory, handles, event loop: prom-client's defaults) and
 * the host's where it has them: CPU temperature, and the Raspberry Pi firmware's throttling
 * and under-voltage flags. A reading the host lacks is left out rather than shown as 0.
 */
export async function registerHostMetrics(registry: Registry): Promise<void> {
  collectDefaultMetrics({ register: registry });
  if ((await cpuTemperature()) !== null) {
    new Gauge({
      name: 'edge_agent_cpu_temperature_celsius',
      help: 'CPU temperature (thermal zone 0)',
      registers: [registry],
      async collect() {
        const celsius = await cpuTemperature();
        if (celsius !== null) this.set(celsius);
      },
    });
  }
  if ((await throttling()) !== null) {
    const flag = (name: string, help: string, meaning: string): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const now = await throttling();
          if (now) this.set(now.flags.includes(meaning) ? 1 : 0);
        },
      });
    };
    flag('edge_agent_under_voltage', '1 while the supply voltage is too low (vcgencmd get_throttled)', 'under-voltage now');
    flag('edge_agent_throttled', '1 while the firmware throttles the CPU (vcgencmd get_throttled)', 'throttled now');
    flag('edge_agent_under_voltage_occurred', '1 if the supply voltage was too low since boot', 'under-voltage has occurred');
    flag('edge_agent_throttled_occurred', '1 if the firmware throttled the CPU since boot', 'throttling has occurred');
  }
}

/** Serves ctx.metrics on http://host:port/metrics. */
export class MetricsServer implements Extension {
  readonly name = 'metrics';
  private server: Server | null = null;

  constructor(private readonly ctx: AgentContext) {}

  async start(): Promise<void> {
    const { host, port } = this.ctx.config.metrics;
    await registerHostMetrics(this.ctx.metrics);
    this.server = await serveHttp({ what: 'metrics', host, port, report: (err, context) => this.ctx.log.error({ err }, context) }, async (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; try /metrics\n');
        return;
      }
      const text = await this.ctx.metrics.metrics();
      res.writeHead(200, { 'content-type': this.ctx.metrics.contentType }).end(text);
    });
    this.ctx.log.info({ url: `http://${host}:${port}/metrics` }, 'serving Prometheus metrics');
  }

  async stop(): Promise<void> {
    if (this.server) await closeHttp(this.server);
    this.server = null;
  }
}
