// doctor and run agree: each broken set-up below gives a failed doctor check and the same
// verdict from `edge-agent run` (as pm2 runs it: no --simulate), in the same words. Where
// run refuses to start, it exits with the documented code; where it starts but cannot work
// (a camera that gives no frame, a broker that refuses the credentials), it says so in its
// log. Real child processes, a real mosquitto, real files.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { Mosquitto } from '../support/mosquitto.js';
import { imagesDir } from '../support/paths.js';
import { itWhenPresent } from '../support/required-part.js';
import { runCli } from '../support/run-cli.js';

// A board with GPIO would give the trigger a pin: the case needs a machine without, as CI is.
const boardHasGpio = existsSync('/sys/class/gpio') ? 'a machine without GPIO (this one has /sys/class/gpio)' : null;

type Check = { name: string; status: string; detail: string; fix?: string };

const work = mkdtempSync('/tmp/edge-agent-verdicts-');
let broker: Mosquitto;
let secured: Mosquitto;
const holders: AgentProcess[] = [];

beforeAll(async () => {
  [broker, secured] = await Promise.all([Mosquitto.start(), Mosquitto.start({ passwords: { sensor: 'the-right-one' } })]);
});

afterAll(async () => {
  await Promise.all(holders.map((h) => h.stop()));
  await Promise.all([broker?.cleanup(), secured?.cleanup()]);
  rmSync(work, { recursive: true, force: true });
});

/** A configuration that works (simulated camera, a broker, its own data dir), with `extra` YAML lines appended. */
function config(name: string, extra: string, { camera = true, broker: withBroker = true, dataDir = `${work}/data-${name}` } = {}): string {
  const file = `${work}/${name}.yaml`;
  const lines = [
    `device:\n  id: ${name}`,
    `dataDir: ${dataDir}`,
    ...(camera ? [`camera:\n  type: sim\n  sim:\n    images: ${imagesDir}`] : []),
    ...(withBroker ? [`mqtt:\n  url: ${broker.url}`] : []),
    extra,
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Case {
  name: string;
  /** The configuration file and variables of the broken set-up. */
  setUp(): Promise<{ file: string; env?: NodeJS.ProcessEnv }>;
  /** The doctor check that must fail. */
  check: string;
  /** What both say. */
  words: RegExp;
  /** run's exit code when it refuses to start; 'runs' when it starts and reports the problem in its log. */
  run: number | 'runs';
  /** Why this machine cannot show the case, or null (test/support/required-part.ts). */
  needs?: string | null;
}

const cases: Case[] = [
  {
    name: 'no camera configured',
    setUp: async () => ({ file: config('no-camera', '', { camera: false }) }),
    check: 'camera',
    words: /no camera is configured/,
    run: 78,
  },
  {
    name: 'a labels file that does not fit the model',
    setUp: async () => {
      writeFileSync(`${work}/five.txt`, 'a\nb\nc\nd\ne\n');
      return { file: config('labels', `model:\n  labels: ${work}/five.txt`) };
    },
    check: 'model',
    words: /five\.txt: 5 labels, but the model has 1001 classes/,
    run: 65,
  },
  {
    name: 'EDGE_AGENT_KERNEL_PATH naming a path that does not exist here',
    setUp: async () => ({ file: config('kernel-path', ''), env: { EDGE_AGENT_KERNEL_PATH: 'no-such-path' } }),
    check: 'kernel path',
    words: /EDGE_AGENT_KERNEL_PATH=no-such-path names no kernel path/,
    run: 69,
  },
  {
    name: 'trigger.mode gpio with gpio.enabled false',
    setUp: async () => ({ file: config('gpio-off', 'trigger:\n  mode: gpio\ngpio:\n  trigger:\n    pin: 17') }),
    check: 'config',
    words: /trigger\.mode: gpio needs gpio\.enabled: true/,
    run: 78,
  },
  {
    name: 'trigger.mode mqtt with no broker',
    setUp: async () => ({ file: config('mqtt-no-broker', 'trigger:\n  mode: mqtt', { broker: false }) }),
    check: 'trigger',
    words: /trigger\.mode: mqtt captures only on a capture command, and mqtt\.url names no broker/,
    run: 78,
  },
  {
    name: 'a data directory that cannot be created',
    setUp: async () => {
      writeFileSync(`${work}/a-file`, '');
      return { file: config('data-file', '', { dataDir: `${work}/a-file/data` }) };
    },
    check: 'data dir',
    words: /cannot be created: .*a-file is a file, not a directory/,
    run: 73,
  },
  {
    name: 'a data directory another agent holds',
    setUp: async () => {
      const file = config('data-held', '');
      const holder = AgentProcess.start(['--config', file, '--device-id', 'holder']);
      holders.push(holder);
      while (!/edge-agent running/.test(holder.stdout)) {
        if (holder.child.exitCode !== null) throw new Error(`the holding agent exited: ${holder.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return { file };
    },
    check: 'data dir',
    words: /is in use by another edge-agent \(pid \d+\)/,
    run: 75,
  },
  {
    name: 'a TLS file that cannot be read',
    setUp: async () => ({ file: config('tls', `mqtt:\n  url: mqtts://127.0.0.1:${broker.port}\n  tls:\n    ca: ${work}/no-ca.pem`, { broker: false }) }),
    check: 'broker',
    words: /mqtt\.tls\.ca: cannot read .*no-ca\.pem: no such file/,
    run: 78,
  },
  {
    name: 'trigger.mode gpio on a machine whose GPIO cannot be used',
    setUp: async () => ({ file: config('gpio-none', 'trigger:\n  mode: gpio\ngpio:\n  enabled: true\n  trigger:\n    pin: 17') }),
    check: 'gpio',
    words: /trigger\.mode is gpio, but the trigger input cannot be used, so nothing would ever be captured: this board has no usable sysfs GPIO/,
    run: 69,
    needs: boardHasGpio,
  },
  {
    name: 'a camera that gives no frame',
    setUp: async () => {
      const images = `${work}/failing-camera`;
      mkdirSync(images);
      writeFileSync(`${images}/.faults`, 'error\n');
      return { file: config('camera-error', `camera:\n  type: sim\n  captureTimeoutSeconds: 2\n  sim:\n    images: ${images}`, { camera: false }) };
    },
    check: 'camera',
    words: /simulated capture error/,
    run: 'runs',
  },
  {
    name: 'a broker that refuses the credentials',
    setUp: async () => ({ file: config('refused', `mqtt:\n  url: ${secured.url}\n  username: sensor\n  password: not-the-right-one`, { broker: false }) }),
    check: 'broker',
    words: /Not authorized/,
    run: 'runs',
  },
];

describe('doctor and run decide a set-up the same way', () => {
  for (const c of cases) itWhenPresent(c.needs ?? null)(c.name, () => agree(c), 60_000);
});

async function agree(c: Case): Promise<void> {
  {
    const { file, env } = await c.setUp();
    const doctor = await runCli(['doctor', '--json', '--config', file], { env });
    expect(doctor.code, doctor.stderr).toBe(1);
    const failed = (JSON.parse(doctor.stdout) as Check[]).filter((check) => check.status === 'fail');
    const check = failed.find((f) => f.name === c.check);
    expect(check, `doctor's failed checks: ${JSON.stringify(failed)}`).toBeDefined();
    expect(check!.detail).toMatch(c.words);
    expect(check!.fix).toBeTruthy();

    if (c.run === 'runs') {
      const agent = AgentProcess.start(['--config', file], env);
      try {
        const deadline = Date.now() + 20_000;
        while (!c.words.test(agent.stdout)) {
          expect(agent.child.exitCode, `run exited: ${agent.stderr}`).toBeNull();
          expect(Date.now() < deadline, `run never said ${c.words}; its log:\n${agent.stdout.slice(-2000)}`).toBe(true);
          await new Promise((r) => setTimeout(r, 100));
        }
        const said = agent.logs().find((l) => c.words.test(JSON.stringify(l)));
        expect(said?.level).toBeGreaterThanOrEqual(40);
      } finally {
        expect(await agent.stop()).toBe(0);
      }
    } else {
      const run = await runCli(['run', '--config', file], { env, timeoutMs: 30_000 });
      expect(run.code, run.stderr + run.stdout.slice(-1000)).toBe(c.run);
      expect(run.stderr).toMatch(c.words);
      expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
      // A start refused after the model loaded closes it as intended, not as a dead worker.
      expect(run.stdout).not.toMatch(/inference worker died/);
    }
  }
}
