import type { Server } from 'node:http';
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import type { AgentContext } from '../core/context.js';
import type { Extension } from '../core/extension.js';
import { closeHttp, serveHttp } from '../core/http-server.js';
import { FRAME_ERROR_CAUSES, type FrameErrorCause } from './run-stats.js';

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
  new Gauge({ name: 'edge_agent_fps', help: 'Results per second over the last 10 s', registers: [r], collect() { this.set(stats.fps()); } });
  new Gauge({ name: 'edge_agent_outbox_depth', help: 'Results recorded and not yet acknowledged', registers: [r], collect() { this.set(ctx.results?.depth() ?? 0); } });
  new Gauge({ name: 'edge_agent_degraded', help: '1 while some part is degraded', registers: [r], collect() { this.set(ctx.degraded.size > 0 ? 1 : 0); } });
  const latency = new Summary({ name: 'edge_agent_latency_ms', help: 'Capture to recorded result', percentiles: [0.5, 0.95], maxAgeSeconds: 600, ageBuckets: 5, registers: [r] });
  const inference = new Summary({ name: 'edge_agent_inference_ms', help: 'Inference time', percentiles: [0.5, 0.95], maxAgeSeconds: 600, ageBuckets: 5, registers: [r] });
  ctx.events.on('result', (result) => {
    latency.observe(result.latencyMs.total);
    inference.observe(result.latencyMs.inference);
  });
}

/** Serves ctx.metrics on http://host:port/metrics. */
export class MetricsServer implements Extension {
  readonly name = 'metrics';
  private server: Server | null = null;

  constructor(private readonly ctx: AgentContext) {}

  async start(): Promise<void> {
    const { host, port } = this.ctx.config.metrics;
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
