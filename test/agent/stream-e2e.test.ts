// `edge-agent run --camera ...` with stream sources, end to end as real processes: the
// stand-in rpicam-vid killed mid-stream (results resume, seq has no gap, nothing of the
// camera's process groups outlives the agent), and an HTTP MJPEG camera that is down when
// the agent starts (degraded, then it connects and recovers). Results are read from the
// agent's log (no broker configured), with MobileNet v1 0.25 to spare the CPU.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/mosquitto.js';
import { modelPath } from '../support/paths.js';
import { itWhenPresent } from '../support/required-part.js';
import { runCli } from '../support/run-cli.js';
import { MjpegHttpServer, missingPrograms, processesInGroups, streamBin, until } from '../support/stream-parts.js';

const withFfmpeg = itWhenPresent(missingPrograms('ffmpeg'));
const work = mkdtempSync('/tmp/edge-agent-stream-e2e-');
const model = modelPath('mobilenet_v1_0.25_128_quant.tflite');
let agent: AgentProcess | null = null;
let server: MjpegHttpServer | null = null;

afterEach(async () => {
  if (agent && agent.child.exitCode === null) await agent.stop('SIGKILL').catch(() => {});
  agent = null;
  await server?.stop();
  server = null;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const results = (a: AgentProcess) => a.logs().filter((l) => l.msg === 'result') as { seq: number; source: string }[];
const logged = (a: AgentProcess, msg: string) => a.logs().some((l) => l.msg === msg);

const args = (camera: string, dataDir: string) => ['--camera', camera, '--fps', '25', '--model', model, '--data-dir', join(work, dataDir), '--log-format', 'json'];

describe('run --camera with stream sources', () => {
  withFfmpeg('rpicam killed mid-stream: the stream restarts, results resume with no seq gap, and nothing outlives the agent', async () => {
    const standinLog = join(work, 'rpicam.log');
    agent = AgentProcess.start([...args('rpicam', 'rpicam')], { PATH: `${streamBin}:${process.env.PATH}`, RPICAM_STANDIN_LOG: standinLog });
    const a = agent;
    await until('10 results', () => results(a).length >= 10);
    const pids = (): number[] => readFileSync(standinLog, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
    const [first] = pids();
    process.kill(first, 'SIGKILL');
    await until('the stream to end', () => logged(a, 'the camera stream ended'));
    const before = results(a).length;
    await until('10 results after the restart', () => logged(a, 'camera recovered') && results(a).length >= before + 10);
    expect(pids()).toHaveLength(2);
    expect(await a.stop()).toBe(0);

    const seqs = results(a).map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(results(a)[0].source).toBe('rpicam:rpicam-vid');
    expect(processesInGroups(pids())).toEqual([]);
  });

  withFfmpeg('http camera down at start: degraded while it is down, then it connects and results flow', async () => {
    const port = await freePort();
    agent = AgentProcess.start(args(`http://viewer:s3cret@127.0.0.1:${port}/stream`, 'http'));
    const a = agent;
    await until('the camera to fail', () => logged(a, 'camera capture failed; retrying with backoff'));
    expect(results(a)).toEqual([]);
    server = await MjpegHttpServer.start(MjpegHttpServer.frames().slice(0, 10), {}, port);
    await until('the camera to recover and 10 results', () => logged(a, 'camera recovered') && results(a).length >= 10);
    expect(await a.stop()).toBe(0);
    expect(results(a)[0].source).toBe(`http://viewer:[redacted]@127.0.0.1:${port}/stream`);
    expect(a.stdout + a.stderr).not.toContain('s3cret');
  });

  it('refuses a camera it does not know, with a usage error', async () => {
    const r = await runCli(['run', '--camera', 'webcam:0']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--camera "webcam:0" is not a camera; use one of sim:DIR, sim-stream:DIR, rpicam/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
});
