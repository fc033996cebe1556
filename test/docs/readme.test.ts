// The README, followed as written. Every command in its ```sh blocks runs here, in README
// order, in one fresh copy of the tracked files, as a real child process (`bash -c` in the
// copy), and must exit 0 or the code the README gives for it. So "Set-up" and "On a
// Raspberry Pi" are followed step by step, a command added to the README is run by this
// test, and one that stops working fails it. What cannot run here is in RULES with the
// reason: run with --help instead (then every option it names must be in the help), or
// not run at all. Commands quoted in the prose are not run.
//
// What this machine is not, the test stands in for, and only this:
// - npm is offline (npm_config_offline): `npm install` takes the packages from npm's cache,
//   which `npm ci` (.ci/run) has filled, and never asks the registry;
// - npm's global folder is one of the test's (NPM_CONFIG_PREFIX), so `npm link` does not
//   touch this machine's;
// - /etc/edge-agent and /var/lib/edge-agent are folders of the test's: commands that write
//   there run without sudo on those folders, the editor step is the same change of paths
//   inside the copied file, and the configuration is found through EDGE_AGENT_CONFIG (read
//   just before the system file, which this machine must not have).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONFIG_FILE } from '../../agent/config/config-file.js';
import { debianKnows } from '../support/debian.js';
import { copyTrackedFiles } from '../support/fresh-copy.js';
import { repoRoot } from '../support/paths.js';

interface ReadmeCommand {
  section: string;
  command: string;
}

/** A command without its comment: a `#` at the start or after a space, outside quotes. */
function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line;
}

/** The commands of the ```sh blocks, in order, each with the heading it is under. */
function readmeCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let section = '';
  let block: 'sh' | 'other' | null = null;
  let continued = '';
  for (const raw of markdown.split('\n')) {
    // Blocks inside list items are indented.
    const line = raw.trim();
    if (line.startsWith('```')) {
      block = block === null ? (line === '```sh' ? 'sh' : 'other') : null;
      continue;
    }
    if (block === null) {
      const heading = /^#{2,3} (.+)$/.exec(raw);
      if (heading) section = heading[1];
      continue;
    }
    if (block !== 'sh') continue;
    const text = withoutComment(line);
    if (text.endsWith('\\')) {
      continued += `${text.slice(0, -1)} `;
      continue;
    }
    const command = `${continued}${text}`.trim();
    continued = '';
    if (command) commands.push({ section, command });
  }
  return commands;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Context {
  copy: string;
  env: NodeJS.ProcessEnv;
  /** The test's /etc/edge-agent, and the config.yaml in it. */
  etcDir: string;
  configFile: string;
  /** The test's /var/lib/edge-agent. */
  dataDir: string;
}

type Rule = { match: RegExp; why: string } & (
  /** Run as written; `code` is the exit code the README gives for it here (default 0). */
  | { how: 'run'; code?: number; check?: (o: Outcome, ctx: Context) => void }
  /** Run until it logs a result (stdout is a pipe: JSON lines), then Ctrl-C (SIGINT to its process group). */
  | { how: 'until-result' }
  /** Run with the test's folders for /etc/edge-agent and /var/lib/edge-agent, without sudo. */
  | { how: 'system-paths' }
  /** The editor: the test's edit is the same change of paths in the file. */
  | { how: 'edit' }
  /** Run with --help appended: it must exit 0, and its help must name every option the command uses. */
  | { how: 'help' }
  /** Not run: why says why, and `coveredBy` names the test that does it. */
  | { how: 'skip'; coveredBy: string }
  /** Not run (it would change this machine as root): `verify` checks what it relies on instead. */
  | { how: 'verify'; verify(command: string): void }
);

/** doctor's report: every problem has its fix, and the file it read is the one run would read. */
function checkDoctor(o: Outcome, ctx: Context): void {
  const lines = o.stdout.split('\n');
  const config = ctx.env.EDGE_AGENT_CONFIG;
  expect(o.stdout).toMatch(/^ok {4}config {7}(.*)$/m);
  expect(/^ok {4}config {7}(.*)$/m.exec(o.stdout)![1]).toBe(
    config ? `${config} (from EDGE_AGENT_CONFIG)` : `the defaults only (no --config, no EDGE_AGENT_CONFIG, no ${SYSTEM_CONFIG_FILE})`,
  );
  // No camera here: none is configured, or the configured one's program is not installed.
  expect(o.stdout).toMatch(/^FAIL {2}camera /m);
  lines.forEach((line, i) => {
    if (/^(FAIL|WARN) /.test(line)) expect(lines[i + 1], `no fix after: ${line}`).toMatch(/^ {19}fix: \S/);
  });
  if (config) expect(o.stdout).toContain(`ok    data dir     ${ctx.dataDir}: writable, and no other agent holds it`);
  expect(o.stderr).toMatch(/^edge-agent: \d+ checks? failed: /);
}

const RULES: Rule[] = [
  { match: /^npm install && npm start$/, how: 'until-result', why: 'npm start runs the agent until it is stopped' },
  { match: /^sudo nano /, how: 'edit', why: 'an editor' },
  { match: /^sudo .*(\/etc\/edge-agent|\/var\/lib\/edge-agent)/, how: 'system-paths', why: 'writes to /etc and /var/lib as root' },
  { match: /^sudo apt-get install /, how: 'verify', why: 'installs system packages as root: it would change this machine', verify: debianKnows },
  {
    match: /^sudo npm install -g pm2$/,
    how: 'verify',
    why: 'installs pm2 for every user, as root',
    // The pm2 the tests run is the project's own dev dependency.
    verify: () => expect((JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.pm2).toBeTruthy(),
  },
  {
    match: /^npm test$/,
    how: 'verify',
    why: 'every suite, 11+ minutes: .ci/run runs it',
    verify: () => expect(readFileSync(`${repoRoot}.ci/run`, 'utf8')).toMatch(/^npm test$/m),
  },
  { match: /^npm run test:arm$/, how: 'skip', why: 'minutes of qemu', coveredBy: 'test/kernels/arm-emulation.test.ts' },
  { match: /^pm2 start$/, how: 'skip', why: 'a bare pm2 start in a fresh copy of the tracked files', coveredBy: 'test/deploy/ecosystem.test.ts' },
  // Any pm2 command, --help included, starts a pm2 daemon of this machine's user.
  { match: /^pm2 save$/, how: 'skip', why: "records this machine's pm2 processes for boot; scripts/deploy runs it on its device", coveredBy: 'test/deploy/deploy.test.ts' },
  {
    match: /^pm2 startup$/,
    how: 'verify',
    why: 'installs a boot service (systemd) on this machine',
    verify: () => expect(readFileSync(`${repoRoot}node_modules/pm2/lib/binaries/CLI.js`, 'utf8')).toMatch(/command\('startup/),
  },
  { match: /^(bin\/)?edge-agent (run|fleet)\b/, how: 'help', why: 'a daemon (fleet --json needs the broker it names)' },
  { match: /^scripts\/deploy /, how: 'help', why: 'deploys over SSH to the hosts it names; test/deploy/deploy.test.ts deploys for real' },
  { match: /^(bin\/)?edge-agent doctor$/, how: 'run', code: 1, check: checkDoctor, why: 'no camera here, so a check fails (exit 1)' },
  {
    match: /^(bin\/)?edge-agent --version$/,
    how: 'run',
    why: 'prints the version',
    check: (o) => expect(o.stdout.trim()).toBe((JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { version: string }).version),
  },
];
const RUN: Rule = { match: /$/, how: 'run', why: 'runs here' };

const ruleFor = (command: string): Rule => RULES.find((r) => r.match.test(command)) ?? RUN;

/** The environment of a newcomer's shell: nothing of this test run's, none of the agent's variables. */
function shellEnvironment(npmPrefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|EDGE_AGENT_|VITEST|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$)/i.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    USER: userInfo().username,
    PATH: `${npmPrefix}/bin:${process.env.PATH}`,
    NPM_CONFIG_PREFIX: npmPrefix,
    npm_config_offline: 'true',
  };
}

const MINUTES = 60_000;

function run(command: string, ctx: Context, timeoutMs = 10 * MINUTES): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd: ctx.copy, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `command` until it logs a result, then sends SIGINT to its process group, as Ctrl-C does. */
function runUntilResult(command: string, ctx: Context, timeoutMs = 10 * MINUTES): Promise<{ result: Record<string, unknown> | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd: ctx.copy, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const lines: string[] = [];
    let stderr = '';
    let result: Record<string, unknown> | null = null;
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (result !== null || !line.startsWith('{')) return;
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record.msg !== 'result') return;
      result = record;
      process.kill(-child.pid!, 'SIGINT');
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ result, lines, stderr });
    });
  });
}

const toSystemPaths = (text: string, ctx: Context): string =>
  text.replaceAll('/etc/edge-agent', ctx.etcDir).replaceAll('/var/lib/edge-agent', ctx.dataDir);

const readme = readFileSync(`${repoRoot}README.md`, 'utf8');
const commands = readmeCommands(readme);

describe('README.md, followed as written', () => {
  let work: string;
  const ctx = {} as Context;

  beforeAll(() => {
    // It would be read by every command here that takes a configuration.
    expect(existsSync(SYSTEM_CONFIG_FILE), `this machine has ${SYSTEM_CONFIG_FILE}: remove it to run this test`).toBe(false);
    work = mkdtempSync(join(tmpdir(), 'edge-agent-readme-'));
    ctx.copy = join(work, 'edge-agent');
    copyTrackedFiles(ctx.copy);
    mkdirSync(join(work, 'npm-global'));
    ctx.env = shellEnvironment(join(work, 'npm-global'));
    ctx.etcDir = join(work, 'etc/edge-agent');
    ctx.configFile = join(ctx.etcDir, 'config.yaml');
    ctx.dataDir = join(work, 'var/lib/edge-agent');
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds the commands of Set-up and of On a Raspberry Pi', () => {
    const sections = new Set(commands.map((c) => c.section));
    expect(sections).toContain('Set-up');
    expect(sections).toContain('On a Raspberry Pi');
    expect(commands.map((c) => c.command)).toContain('npm install && npm start');
  });

  for (const { section, command } of commands) {
    const rule = ruleFor(command);
    const name = `${section}: ${command}`;
    if (rule.how === 'skip') {
      it(`${name} (not run: ${rule.why}; ${rule.coveredBy} does it)`, () => expect(existsSync(`${repoRoot}${rule.coveredBy}`)).toBe(true));
      continue;
    }
    if (rule.how === 'verify') {
      it(`${name} (not run: ${rule.why}; what it relies on is checked)`, () => rule.verify(command));
      continue;
    }
    it(name, async () => {
      // The configuration installed by an earlier step, where run and doctor would look for it.
      if (existsSync(ctx.configFile)) ctx.env.EDGE_AGENT_CONFIG = ctx.configFile;
      switch (rule.how) {
        case 'until-result': {
          const { result, lines, stderr } = await runUntilResult(command, ctx);
          expect(result, `no result logged:\n${lines.slice(-20).join('\n')}\n${stderr.slice(-2000)}`).not.toBeNull();
          expect(readdirSync(join(ctx.copy, 'samples'))).toContain(result!.source);
          expect(typeof result!.label).toBe('string');
          // Ctrl-C stops it cleanly.
          expect(lines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg?: string }).msg : null))).toContain('edge-agent stopped');
          return;
        }
        case 'system-paths': {
          const o = await run(toSystemPaths(command.replace(/\bsudo /g, ''), ctx), ctx);
          expect(o.code, o.stderr).toBe(0);
          return;
        }
        case 'edit': {
          const file = toSystemPaths(/^sudo nano (\S+)$/.exec(command)![1], ctx);
          writeFileSync(file, toSystemPaths(readFileSync(file, 'utf8'), ctx));
          return;
        }
        case 'help': {
          const o = await run(`${command} --help`, ctx);
          expect(o.code, o.stderr).toBe(0);
          for (const option of command.match(/(?<=\s)--[a-z][a-z-]*/g) ?? []) expect(o.stdout + o.stderr, `the help of '${command}' has no ${option}`).toContain(option);
          return;
        }
        case 'run': {
          const o = await run(command, ctx);
          expect(o.code, `exit ${o.code}\n${o.stdout.slice(-2000)}\n${o.stderr.slice(-2000)}`).toBe(rule.code ?? 0);
          rule.check?.(o, ctx);
          return;
        }
      }
    }, 12 * MINUTES);
  }
});
