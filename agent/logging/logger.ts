import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { REDACTED_LOG_PATHS, redactSecrets } from './redaction.js';

/** json: one JSON object per line (pm2, log shippers, tests); pretty: readable lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level: string;
  device: string;
  /** auto: pretty when stdout is a terminal, JSON otherwise. */
  format: LogFormat | 'auto';
}

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

/** The format `auto` stands for here. */
export function resolveLogFormat(format: LoggerOptions['format'], stdoutIsTerminal = process.stdout.isTTY === true): LogFormat {
  return format === 'auto' ? (stdoutIsTerminal ? 'pretty' : 'json') : format;
}

/** Fields every line has, which the pretty format shows in its own way or not at all. */
const FRAME_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'device', 'msg']);

function shown(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === 'object' && 'message' in value) return JSON.stringify((value as { message: unknown }).message);
  return JSON.stringify(value);
}

/**
 * One line a person reads: the message, then the other fields as key=value; a result as
 * "result 41 cat.png: Egyptian cat 0.76 (9.9 ms)".
 */
export function prettyMessage(log: Record<string, unknown>): string {
  const message = String(log.msg ?? '');
  if (message === 'result') {
    const label = log.label === null ? 'nothing above the threshold' : `${String(log.label)} ${Number(log.score).toFixed(2)}`;
    return `result ${String(log.seq)} ${String(log.source)}: ${label} (${String(log.ms)} ms)`;
  }
  const fields = Object.entries(log).filter(([key]) => !FRAME_FIELDS.has(key)).map(([key, value]) => `${key}=${shown(value)}`);
  return [message, ...fields].join(' ');
}

function prettyStream(): DestinationStream {
  return PinoPretty({
    colorize: process.stdout.isTTY === true,
    sync: true,
    destination: 1,
    translateTime: 'SYS:HH:MM:ss.l',
    hideObject: true,
    messageFormat: (log) => prettyMessage(log),
  });
}

/**
 * The agent's logger: pino at `level`, with secrets kept out twice over: known fields are
 * censored by path, and every finished line has URL passwords and token parameters
 * replaced (redactSecrets), so a broker URL with credentials in any message or field
 * never reaches a log file.
 */
export function createLogger(options: LoggerOptions): Logger {
  const format = resolveLogFormat(options.format);
  const out = format === 'pretty' ? prettyStream() : pino.destination({ dest: 1, sync: true });
  const destination: DestinationStream = { write: (line: string) => void out.write(redactSecrets(line)) };
  return pino({ level: options.level, base: { device: options.device }, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } }, destination);
}
