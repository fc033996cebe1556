import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { connectAsync, type MqttClient } from 'mqtt';
import { rollOutModel } from '../fleet/model-rollout.js';
import { brokerCredentials } from '../mqtt/connection-options.js';
import { CliError, ExitCode } from './cli-error.js';
import { resolveConfigFile } from '../config/config-file.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { AgentConfig } from '../config/types.js';
import { redactSecrets } from '../logging/redaction.js';
import { isLoopback } from '../web/access.js';
import { FleetServer } from '../web/fleet/fleet-server.js';
import { FleetState } from '../web/fleet/fleet-state.js';
import { FleetWatch } from '../web/fleet/fleet-watch.js';
import { pageUrl } from '../web/http.js';

interface FleetOptions {
  mqttUrl?: string;
  config?: string;
  host: string;
  port: number;
  json?: boolean;
  wait: number;
  forgetAfter: number;
}

/** The fleet page's token when it listens beyond loopback. */
const TOKEN_VARIABLE = 'EDGE_AGENT_FLEET_TOKEN';

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new InvalidArgumentError(`--port must be 1-65535, got '${value}'`);
  return Number(value);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError(`--wait must be a number of seconds in (0, 3600], got '${value}'`);
  return n;
}

const MONTH_SECONDS = 30 * 24 * 3600;

function forgetAfter(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > MONTH_SECONDS) throw new InvalidArgumentError(`--forget-after must be a number of seconds in [1, ${MONTH_SECONDS}], got '${value}'`);
  return n;
}

async function brokerConfig(o: { mqttUrl?: string; config?: string }): Promise<AgentConfig['mqtt'] & { url: string }> {
  let config: AgentConfig;
  try {
    ({ config } = await loadConfig({ file: resolveConfigFile({ flag: o.config }), overrides: o.mqttUrl ? { mqtt: { url: o.mqttUrl } } : {} }));
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration error:\n  ${err.problems.join('\n  ')}`, ExitCode.config);
    throw err;
  }
  const { url } = config.mqtt;
  if (!url) throw new CliError('fleet: no broker: pass --mqtt-url URL, or --config FILE with mqtt.url', ExitCode.usage);
  return { ...config.mqtt, url };
}

/** Collects for `wait` seconds once connected, then prints every device heard from within the last `forgetAfter` seconds as JSON. */
async function printOnce(mqtt: AgentConfig['mqtt'] & { url: string }, wait: number, forgetAfter: number): Promise<void> {
  const state = new FleetState(mqtt.prefix);
  let settle!: (error: string | null) => void;
  const connected = new Promise<string | null>((resolve) => (settle = resolve));
  const watch = await FleetWatch.open(state, {
    url: mqtt.url,
    mqtt,
    onDevice: () => {},
    onBroker: (b) => settle(b.connected ? null : b.error),
  });
  try {
    const timeout = setTimeout(() => settle('no answer within 10 s'), 10_000);
    const error = await connected;
    clearTimeout(timeout);
    if (error !== null) throw new CliError(`fleet: cannot reach the MQTT broker at ${mqtt.url}: ${error}`, ExitCode.unavailable);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  } finally {
    await watch.close();
  }
  state.forget(new Date(Date.now() - forgetAfter * 1000));
  process.stdout.write(`${JSON.stringify(state.rows(), null, 2)}\n`);
}

/**
 * The token operators set for the page, held to web.token's rule: an empty one would be
 * matched by an empty cookie, and a short one is guessed.
 */
function givenToken(): string | null {
  const given = process.env[TOKEN_VARIABLE];
  if (given === undefined) return null;
  if (given === '') throw new CliError(`${TOKEN_VARIABLE} is set but empty: unset it (beyond loopback a token is then made at start) or set 16-256 printable characters`, ExitCode.config);
  if (!/^[\x21-\x7e]{16,256}$/.test(given)) throw new CliError(`${TOKEN_VARIABLE} must be 16-256 printable characters without spaces`, ExitCode.config);
  return given;
}

/** Serves the fleet page until SIGINT or SIGTERM. */
async function serve(mqtt: AgentConfig['mqtt'] & { url: string }, o: FleetOptions): Promise<void> {
  const given = givenToken();
  const token = given ?? (isLoopback(o.host) ? null : randomBytes(24).toString('base64url'));
  const state = new FleetState(mqtt.prefix);
  let said = '';
  const server = new FleetServer(state, {
    host: o.host,
    port: o.port,
    token,
    forgetAfterSeconds: o.forgetAfter,
    broker: () => watch.broker,
    report: (err, context) => process.stderr.write(`edge-agent fleet: ${context}: ${err.message}\n`),
  });
  const watch = await FleetWatch.open(state, {
    url: mqtt.url,
    mqtt,
    onDevice: (row) => server.deviceChanged(row),
    onBroker: (b) => {
      server.brokerChanged(b);
      const line = b.connected ? `connected to ${b.url}` : `cannot reach the MQTT broker at ${b.url}: ${b.error}; retrying`;
      if (line !== said) process.stderr.write(`edge-agent fleet: ${redactSecrets(line)}\n`);
      said = line;
    },
  });
  try {
    await server.start();
  } catch (err) {
    await watch.close();
    throw new CliError((err as Error).message, ExitCode.unavailable);
  }
  const url = pageUrl(o.host, o.port);
  // Printed once, to the terminal that started it: the fleet view is run by hand, not as a logged service.
  const login = token !== null && given === null ? ` (log in once at ${url}?token=${token})` : token !== null ? ` (token: $${TOKEN_VARIABLE})` : '';
  process.stderr.write(`edge-agent fleet: the fleet page is at ${url}${login}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
  await server.stop();
  await watch.close();
}

function count(flag: string, min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 10_000) throw new InvalidArgumentError(`${flag} must be a whole number from ${min}, got '${value}'`);
    return Number(value);
  };
}

function within(flag: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`${flag} must be a number of seconds in (0, ${max}], got '${value}'`);
    return n;
  };
}

function sha256Option(flag: string) {
  return (value: string): string => {
    if (!/^[0-9A-Fa-f]{64}$/.test(value)) throw new InvalidArgumentError(`${flag} must be 64 hexadecimal digits (sha256sum FILE prints them)`);
    return value.toLowerCase();
  };
}

interface UpdateOptions {
  mqttUrl?: string;
  config?: string;
  url: string;
  sha256: string;
  labels?: string;
  labelsSha256?: string;
  devices?: string;
  canary: number;
  maxFailures: number;
  parallel: number;
  answerTimeout: number;
  watch: number;
  json?: boolean;
}

/** How long retained statuses are given to arrive after the subscription is granted. */
const RETAINED_GRACE_MS = 1500;

/** The devices whose retained status says online: the broker sends them right after the subscription is granted. */
async function onlineDevices(client: MqttClient, prefix: string): Promise<string[]> {
  const online = new Map<string, boolean>();
  const onMessage = (topic: string, payload: Buffer): void => {
    const device = topic.slice(prefix.length + 1, -'/status'.length);
    online.set(device, payload.toString() === 'online');
  };
  client.on('message', onMessage);
  await client.subscribeAsync(`${prefix}/+/status`, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, RETAINED_GRACE_MS));
  client.off('message', onMessage);
  await client.unsubscribeAsync(`${prefix}/+/status`);
  return [...online].filter(([, up]) => up).map(([d]) => d).sort();
}

async function updateModel(o: UpdateOptions): Promise<void> {
  const mqtt = await brokerConfig(o);
  if (o.labelsSha256 && !o.labels) throw new CliError('fleet update-model: --labels-sha256 needs --labels', ExitCode.usage);
  let client: MqttClient;
  try {
    client = await connectAsync(mqtt.url, {
      ...(await brokerCredentials(mqtt, mqtt.url)),
      clientId: `edge-agent-rollout-${randomBytes(4).toString('hex')}`,
      clean: true,
      keepalive: mqtt.keepaliveSeconds,
      reconnectPeriod: mqtt.reconnectSeconds * 1000,
      connectTimeout: 10_000,
    });
  } catch (err) {
    throw new CliError(`fleet update-model: cannot reach the MQTT broker at ${redactSecrets(mqtt.url)}: ${(err as Error).message}`, ExitCode.unavailable);
  }
  const say = (line: string): void => void process.stderr.write(`edge-agent fleet: ${redactSecrets(line)}\n`);
  try {
    const devices = o.devices ? o.devices.split(',').map((d) => d.trim()).filter(Boolean) : await onlineDevices(client, mqtt.prefix);
    if (devices.length === 0) throw new CliError(`fleet update-model: no device${o.devices ? 's given' : ` is online on ${redactSecrets(mqtt.url)} (retained ${mqtt.prefix}/<id>/status)`}`, ExitCode.unavailable);
    say(`updating ${devices.length} device${devices.length === 1 ? '' : 's'} (${devices.join(', ')}): ${o.canary} canary, at most ${o.maxFailures} failure${o.maxFailures === 1 ? '' : 's'}, ${o.parallel} at a time`);
    const update = { url: o.url, sha256: o.sha256, ...(o.labels ? { labels: o.labels } : {}), ...(o.labelsSha256 ? { labelsSha256: o.labelsSha256 } : {}) };
    const report = await rollOutModel(client, update, {
      prefix: mqtt.prefix, devices, canary: o.canary, maxFailures: o.maxFailures, parallel: o.parallel, answerSeconds: o.answerTimeout, watchSeconds: o.watch,
    }, (r) => say(`${r.ok ? 'ok  ' : 'FAIL'} ${r.device}: ${r.detail} (${r.seconds} s)`));
    if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    const failed = report.outcomes.filter((r) => !r.ok).length;
    const updated = report.outcomes.length - failed;
    const summary = `${updated} updated, ${failed} failed, ${report.skipped.length} not tried${report.stopped ? ` (stopped: ${report.stopped})` : ''}`;
    if (failed > 0 || report.skipped.length > 0) throw new CliError(`fleet update-model: ${summary}`, 1);
    say(summary);
  } finally {
    await client.endAsync(true);
  }
}

const updateModelCommand = new Command('update-model')
  .description("send update-model to devices: canaries first, each watched healthy on the new model, stopping after --max-failures; the broker is fleet's --mqtt-url or --config, and --json prints every device's outcome")
  .requiredOption('--url <url>', 'where each device downloads the model (http or https)')
  .requiredOption('--sha256 <hex>', "the model file's sha256 (sha256sum FILE)", sha256Option('--sha256'))
  .option('--labels <url>', 'where each device downloads its labels file')
  .option('--labels-sha256 <hex>', "the labels file's sha256", sha256Option('--labels-sha256'))
  .option('--devices <ids>', 'comma-separated device ids (default: every device whose status is online)')
  .option('--canary <n>', 'devices updated and watched first; the rest only if they are all healthy', count('--canary', 0), 1)
  .option('--max-failures <n>', 'stop starting devices after this many failures', count('--max-failures', 1), 1)
  .option('--parallel <n>', 'devices updated at once', count('--parallel', 1), 4)
  .option('--answer-timeout <seconds>', "how long a device has to answer, its download included", within('--answer-timeout', 3600), 360)
  .option('--watch <seconds>', 'how long a device must then stay online, publishing with the new model', within('--watch', 3600), 20)
  // --mqtt-url, --config and --json are fleet's own, read from it: commander gives a
  // parent's options to the parent wherever they stand on the line.
  .action((_options: unknown, command: Command) => updateModel(command.optsWithGlobals<UpdateOptions>()));

export const fleetCommand = new Command('fleet')
  .description('every device on the broker: a live page, or one JSON table with --json')
  .option('--mqtt-url <url>', 'the broker the devices publish to (default: mqtt.url of --config)')
  .option('--config <file>', 'configuration to take the topic prefix, user name, password and TLS files from; default: as for run')
  .option('--host <address>', 'listen address of the page; beyond loopback a token is required', '127.0.0.1')
  .option('--port <n>', 'listen port of the page', port, 8090)
  .option('--json', 'print the devices heard within --wait seconds as JSON, and exit')
  .option('--wait <seconds>', 'with --json: how long to listen (telemetry comes every mqtt.telemetrySeconds)', seconds, 5)
  .option('--forget-after <seconds>', 'forget a device not heard from for this long: its row leaves the page and --json', forgetAfter, 3600)
  .action(async (o: FleetOptions) => {
    const mqtt = await brokerConfig(o);
    if (o.json) await printOnce(mqtt, o.wait, o.forgetAfter);
    else await serve(mqtt, o);
  })
  .addCommand(updateModelCommand.exitOverride());
