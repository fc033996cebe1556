import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AgentContext } from '../core/context.js';
import { MAX_COMMAND_BYTES } from '../control/registry.js';
import type { Extension } from '../core/extension.js';
import { closeHttp } from '../core/http-server.js';
import { AccessGuard, isLoopback } from './access.js';
import type { DeviceProbes } from './device-status.js';
import { BodyTooLarge, pageUrl, readBody, SECURITY_HEADERS, sendJson, sendText } from './http.js';
import { LiveFeed } from './live-feed.js';
import { startPageServer } from './page-server.js';
import { pageToken } from './token.js';

/**
 * The device page (web.*): the latest frame with its labels, charts, status, and buttons
 * that run commands through ctx.commands, as MQTT does. Listening costs nothing; the live
 * feed works only while a browser is connected.
 */
export class WebExtension implements Extension {
  readonly name = 'web';
  private readonly feed: LiveFeed;
  private server: Server | null = null;

  constructor(private readonly ctx: AgentContext, private readonly probes: DeviceProbes) {
    this.feed = new LiveFeed(ctx, probes, ctx.config.web.maxFrameRate);
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const web = ctx.config.web;
    const { token, where } = await pageToken(web, ctx.dataDir);
    this.server = await startPageServer({
      what: 'web',
      host: web.host,
      port: web.port,
      guard: new AccessGuard({ token, loopback: isLoopback(web.host), port: web.port, hint: `open the page once as ?token=<token> (${where})` }),
      page: 'device.html',
      own: ['device.js', 'device.css'],
      route: (req, res, url) => this.route(req, res, url),
      report: (err, context) => ctx.log.error({ err }, context),
    });
    ctx.log.info({ url: pageUrl(web.host, web.port), access: token === null ? 'open (loopback)' : `token required: ${where}` }, 'serving the device page');
  }

  async stop(): Promise<void> {
    this.feed.close();
    if (this.server) await closeHttp(this.server);
    this.server = null;
  }

  private route(req: IncomingMessage, res: ServerResponse, url: URL): boolean | Promise<void> {
    if (req.method === 'GET' && url.pathname === '/events') {
      this.feed.connect(req, res);
      return true;
    }
    const frame = /^\/frames\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && frame) {
      this.sendFrame(res, Number(frame[1])).catch((err: unknown) => {
        this.ctx.log.warn({ err }, 'web: a frame could not be encoded');
        sendText(res, 500, 'the frame could not be encoded');
      });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/api/events') {
      sendJson(res, 200, { events: this.probes.objectEvents?.recent() ?? [] });
      return true;
    }
    const picture = /^\/api\/events\/([0-9a-z-]{1,64})\/snapshot$/.exec(url.pathname);
    if (req.method === 'GET' && picture) return this.sendSnapshot(res, picture[1]);
    const command = /^\/commands\/([a-z-]+)$/.exec(url.pathname);
    if (req.method === 'POST' && command) {
      return this.runCommand(req, res, command[1]);
    }
    return false;
  }

  private async sendSnapshot(res: ServerResponse, id: string): Promise<void> {
    let jpeg: Buffer | null;
    try {
      jpeg = (await this.probes.objectEvents?.snapshot(id)) ?? null;
    } catch (err) {
      this.ctx.log.warn({ err, id }, 'web: an event\'s picture could not be read');
      return sendText(res, 500, 'the picture could not be read');
    }
    if (!jpeg) return sendText(res, 404, `no picture is kept for event ${id}`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-store' });
    res.end(jpeg);
  }

  private async sendFrame(res: ServerResponse, seq: number): Promise<void> {
    const frame = await this.feed.frame(seq);
    // Only the last few frames are kept; the page waits for the next event.
    if (!frame) return sendText(res, 404, `frame ${seq} is no longer kept`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': frame.type, 'content-length': frame.data.length, 'cache-control': 'no-store' });
    res.end(frame.data);
  }

  /**
   * A JSON body is required: a form or a plain fetch from another site cannot send one
   * without a CORS preflight, which this server never grants.
   */
  private async runCommand(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return sendText(res, 415, 'commands take a JSON body (content-type: application/json)');
    }
    let body: string;
    try {
      body = await readBody(req, MAX_COMMAND_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendText(res, 413, err.message, { connection: 'close' });
      return; // The client left mid-body, or Node already answered a broken body with 400 or 408.
    }
    const response = await this.ctx.commands.execute(name, body);
    this.ctx.log.debug({ command: name, ok: response.ok, via: 'web' }, 'command');
    sendJson(res, response.ok ? 200 : 400, response);
  }
}
