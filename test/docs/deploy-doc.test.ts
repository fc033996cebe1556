// docs/deploy.md, the operator's day, followed as written: every ```sh block in it has a
// rule here, and a block added without one fails this test. A block is run here (with this
// machine standing in for the Pi only where it must: a scratch folder for /opt/edge-agent,
// a PM2_HOME of the test's own), or, for a scripts/deploy command, run with --help (every
// option it uses must be in the help), or run as written by the deploy test named, which
// reads it from docs/deploy.md (so the claim is checked here too), or, for what would
// change this machine as root, not run, and what it relies on is checked instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianKnows } from '../support/debian.js';
import { deployDocBlocks, type DocBlock } from '../support/deploy-doc.js';
import { repoRoot } from '../support/paths.js';

interface Outcome {
  code: number | null;
  output: string;
}

interface Rule {
  heading: string;
  /** The block's first line. */
  first: RegExp;
  /** What happens to it, for the test's name. */
  how: string;
  test(block: string, work: string): Promise<void> | void;
}

const pm2Bin = join(repoRoot, 'node_modules/.bin');

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 120_000): Outcome {
  const r = spawnSync('bash', ['-e', '-c', script], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Each line of `block` is a scripts/deploy command whose --help names every option it uses. */
function deployHelpCovers(block: string): void {
  const lines = block.trim().split('\n').filter((l) => /(^|\s)scripts\/deploy /.test(l));
  expect(lines.length).toBeGreaterThan(0);
  const help = bash('scripts/deploy --help', repoRoot);
  expect(help.code, help.output).toBe(0);
  for (const line of lines) {
    for (const option of line.match(/(?<=\s)--[a-z][a-z-]*/g) ?? []) expect(help.output, `the help has no ${option} (${line})`).toContain(option);
  }
}

/** The deploy test that runs `heading`'s block, reading it from docs/deploy.md. */
function runBy(file: string, heading: string): void {
  expect(readFileSync(join(repoRoot, file), 'utf8')).toContain(`docBlock('${heading}')`);
}

const user = userInfo().username;

const RULES: Rule[] = [
  {
    heading: 'Preparing a Raspberry Pi (once)',
    first: /^sudo apt-get install -y rsync$/,
    how: 'not run: installs system packages and pm2 for every user, as root; the packages are Debian\'s, and pm2 is the one the deploy tests run',
    test(block) {
      const [apt, pm2] = block.trim().split('\n');
      debianKnows(apt);
      expect(pm2).toBe('sudo npm install -g pm2');
      expect((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.pm2).toBeTruthy();
    },
  },
  {
    heading: 'Preparing a Raspberry Pi (once)',
    first: /^sudo mkdir -p \/opt\/edge-agent && sudo chown pi: \/opt\/edge-agent$/,
    how: 'run on a scratch folder for /opt/edge-agent, as this user for pi, without sudo; scripts/deploy installs there by default',
    test(block, work) {
      const dest = join(work, 'opt/edge-agent');
      const o = bash(block.replaceAll('/opt/edge-agent', dest).replaceAll('sudo ', '').replaceAll('pi:', `${user}:`), work);
      expect(o.code, o.output).toBe(0);
      expect(statSync(dest).uid).toBe(process.getuid!());
      expect(bash('scripts/deploy --help', repoRoot).output).toContain('(default /opt/edge-agent)');
    },
  },
  {
    heading: 'Preparing a Raspberry Pi (once)',
    first: /^pm2 install pm2-logrotate$/,
    how: 'run, with a pm2 (PM2_HOME) of the test\'s own',
    test(block, work) {
      const env = { PM2_HOME: join(work, 'pm2'), PATH: `${pm2Bin}:${process.env.PATH}` };
      try {
        const o = bash(block, work, env);
        expect(o.code, o.output).toBe(0);
        const conf = JSON.parse(readFileSync(join(work, 'pm2/module_conf.json'), 'utf8')) as Record<string, Record<string, string>>;
        expect(conf['pm2-logrotate']).toMatchObject({ max_size: '5M', retain: '3', compress: 'true' });
        const list = bash('pm2 jlist', work, env);
        const modules = JSON.parse(list.output.trim().split('\n').at(-1)!) as { name: string; pm2_env: { status: string } }[];
        expect(modules.find((m) => m.name === 'pm2-logrotate')?.pm2_env.status).toBe('online');
      } finally {
        bash('pm2 kill', work, env);
      }
    },
  },
  {
    heading: 'ecosystem.config.js',
    first: /^npm ci && sudo mkdir -p \/etc\/edge-agent && sudo cp config\/pi4\.yaml \/etc\/edge-agent\/config\.yaml +# then edit it$/,
    how: 'run step by step by test/docs/readme.test.ts (the README\'s "On a Raspberry Pi") and, for pm2 start, by test/deploy/ecosystem.test.ts',
    test(block) {
      const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
      for (const step of ['sudo mkdir -p /etc/edge-agent && sudo cp config/pi4.yaml /etc/edge-agent/config.yaml', 'bin/edge-agent doctor', 'pm2 start', 'pm2 save']) {
        expect(block).toContain(step);
        expect(readme).toContain(step);
      }
      expect(existsSync(join(repoRoot, 'test/deploy/ecosystem.test.ts'))).toBe(true);
      expect(readFileSync(join(pm2Bin, '../pm2/lib/binaries/CLI.js'), 'utf8')).toMatch(/command\('logs/);
    },
  },
  {
    heading: 'scripts/deploy',
    first: /^scripts\/deploy pi@feeder-1\.local --config my-feeder\.yaml$/,
    how: 'run with --help: test/deploy/*.test.ts deploy for real with these options',
    test: deployHelpCovers,
  },
  {
    heading: 'A secure broker',
    first: /^cat > operator\.yaml <<'YAML'$/,
    how: 'the operator file written as shown and read as scripts/deploy reads it; the deploy line run with --help (test/deploy/secure.test.ts deploys with an operator file)',
    test(block, work) {
      const [write] = block.split(/^EDGE_DEPLOY_MQTT_PASSWORD=/m);
      const o = bash(write, work);
      expect(o.code, o.output).toBe(0);
      expect(YAML.parse(readFileSync(join(work, 'operator.yaml'), 'utf8'))).toEqual({ username: 'operator', tls: { cert: 'pki/operator.crt', key: 'pki/operator.key' } });
      deployHelpCovers(block);
      expect(readFileSync(join(repoRoot, 'scripts/deploy'), 'utf8')).toContain('EDGE_DEPLOY_MQTT_PASSWORD');
    },
  },
  {
    heading: 'What runs where',
    first: /^ssh pi@feeder-1\.local 'cd \/opt\/edge-agent && ln -sfn releases\//,
    how: 'run against a deployed device by test/deploy/deploy.test.ts',
    test: () => runBy('test/deploy/deploy.test.ts', 'What runs where'),
  },
  {
    heading: 'Retiring a device',
    first: /^mosquitto_sub /,
    how: 'run against the shipped broker configuration by test/deploy/retire-device.test.ts',
    test: () => runBy('test/deploy/retire-device.test.ts', 'Retiring a device'),
  },
];

const blocks = deployDocBlocks();
const ruleFor = (block: DocBlock): Rule | undefined => RULES.find((r) => r.heading === block.heading && r.first.test(block.text.split('\n')[0]));

describe('docs/deploy.md, followed as written', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'edge-agent-deploy-doc-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('has a rule for every sh block, and every rule still meets its block', () => {
    expect(blocks.filter((b) => !ruleFor(b)).map((b) => `${b.heading}: ${b.text.split('\n')[0]}`)).toEqual([]);
    expect(RULES.filter((r) => !blocks.some((b) => ruleFor(b) === r)).map((r) => `${r.heading}: ${r.first}`)).toEqual([]);
  });

  for (const [i, block] of blocks.entries()) {
    const rule = ruleFor(block);
    if (!rule) continue;
    it(`${block.heading}: ${block.text.split('\n')[0]} (${rule.how})`, async () => {
      const dir = join(work, String(i));
      mkdirSync(dir);
      await rule.test(block.text, dir);
    }, 180_000);
  }
});
