// A real AgentContext for tests of the agent's parts: the default configuration
// (agent/config/definition.ts) plus overrides, a real command registry, event bus, run statistics
// and Prometheus registry, a temporary data dir, and a pino logger whose records are kept
// for assertions (and printed too when EDGE_AGENT_TEST_LOG=debug).
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../agent/config/load.js';
import { createAgentContext, type AgentContext } from '../../agent/core/context.js';

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestContext {
  ctx: AgentContext;
  /** Every record logged, parsed. */
  logs: LogRecord[];
  /** Records at warn (40) or above whose message matches. */
  problems(pattern?: RegExp): LogRecord[];
  /** Resolves with the first record (already logged or to come) whose message matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<LogRecord>;
  /** Removes the data dir if the helper made it. */
  cleanup(): void;
}

type Overrides = Record<string, unknown>;

export interface TestContextOptions {
  deviceId?: string;
  /** An existing data dir (e.g. to restart on it); default: a new temporary one. */
  dataDir?: string;
  /** Partial configuration, as command-line flags would give it. */
  config?: Overrides;
}

export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const deviceId = options.deviceId ?? 'test-device';
  const { config } = await loadConfig({ env: {}, overrides: { device: { id: deviceId }, ...(options.config ?? {}) } as never });
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edge-agent-data-'));
  config.dataDir = dataDir;
  const logs: LogRecord[] = [];
  const logged = new EventEmitter<{ record: [LogRecord] }>();
  const echo = process.env.EDGE_AGENT_TEST_LOG === 'debug';
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const record = JSON.parse(line) as LogRecord;
        logs.push(record);
        logged.emit('record', record);
        if (echo) process.stderr.write(line);
      },
    },
  );
  const ctx = createAgentContext({ ...config, device: { id: deviceId } }, log, dataDir);
  return {
    ctx,
    logs,
    problems: (pattern) => logs.filter((r) => r.level >= 40 && (!pattern || pattern.test(r.msg))),
    waitForLog(pattern, timeoutMs = 10_000) {
      const found = logs.find((r) => pattern.test(r.msg));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const onRecord = (record: LogRecord): void => {
          if (!pattern.test(record.msg)) return;
          clearTimeout(timer);
          logged.off('record', onRecord);
          resolve(record);
        };
        const timer = setTimeout(() => {
          logged.off('record', onRecord);
          reject(new Error(`nothing matching ${pattern} was logged within ${timeoutMs} ms; last records:\n${logs.slice(-5).map((r) => JSON.stringify(r)).join('\n')}`));
        }, timeoutMs);
        logged.on('record', onRecord);
      });
    },
    cleanup() {
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
