// The command lines of the stream sources. rpicam-vid rejects any option it does not know,
// so every argument rpicamCommand can build is checked against the options of the real
// program (test/fixtures/camera/rpicam-options.md, taken from rpicam-apps' sources). And
// no value, from the configuration or an MQTT command, can become an option or another
// ffmpeg protocol.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpCommand, rtspCommand, v4l2Command } from '../../../../agent/camera/stream/ffmpeg-args.js';
import { RPICAM_CODECS, RPICAM_PROGRAMS, rpicamCommand, unpaddedYuvSize } from '../../../../agent/camera/stream/rpicam-args.js';
import { rawFrameBytes } from '../../../../agent/camera/stream/program-stream.js';
import { repoRoot } from '../../../support/paths.js';

/** rpicam-vid's options (the "all programs" and "rpicam-vid" tables): name -> value type. */
function rpicamVidOptions(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'test/fixtures/camera/rpicam-options.md'), 'utf8');
  const options = new Map<string, string>();
  let section = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) section = line;
    if (!/^## (all programs|rpicam-vid)/.test(section)) continue;
    const row = /^\| (--[a-z-]+)(?: \/ (-[a-z]))? \| ([a-z_]+) \|/.exec(line);
    if (!row) continue;
    options.set(row[1], row[3]);
    if (row[2]) options.set(row[2], row[3]);
  }
  return options;
}

const VALUE_SYNTAX: Record<string, RegExp> = {
  unsigned: /^\d+$/,
  size_t: /^\d+$/,
  integer: /^-?\d+$/,
  number: /^-?\d+(\.\d+)?$/,
  // Of the string options the agent uses, the values the reference states: a duration, a codec, stdout.
  string: /^(0|mjpeg|yuv420|-)$/,
};

const every = <T>(...lists: T[][]): T[][] => lists.reduce<T[][]>((acc, list) => acc.flatMap((a) => list.map((v) => [...a, v])), [[]]);

describe('rpicam-vid command line', () => {
  const known = rpicamVidOptions();

  it('reads the reference: the options the agent relies on are there, with their types', () => {
    expect(known.size).toBeGreaterThan(80);
    expect(known.get('--codec')).toBe('string');
    expect(known.get('--nopreview')).toBe('flag');
    expect(known.get('--width')).toBe('unsigned');
    expect(known.get('--encoding')).toBeUndefined(); // rpicam-still's, not rpicam-vid's
  });

  it('builds only options rpicam-vid accepts, each with a value of its type, for every combination', () => {
    const combos = every<unknown>([...RPICAM_PROGRAMS], [...RPICAM_CODECS], [0, 180], [16, 224, 640, 1280, 4096], [16, 720, 4096], [0.5, 15, 25, 120], [1, 80, 100]);
    expect(combos.length).toBe(2 * 2 * 2 * 5 * 3 * 4 * 3);
    for (const [command, codec, rotation, width, height, fps, quality] of combos) {
      const { args, programs } = rpicamCommand({ command, codec, rotation, width, height, fps, quality });
      expect(programs.sort()).toEqual([...RPICAM_PROGRAMS].sort());
      for (let i = 0; i < args.length; i++) {
        const type = known.get(args[i]);
        expect(type, `${args[i]} in ${args.join(' ')}`).toBeDefined();
        if (type === 'flag') continue;
        const value = args[++i];
        expect(value, `the value of ${args[i - 1]} in ${args.join(' ')}`).toMatch(VALUE_SYNTAX[type!]);
      }
      expect(args.slice(-2)).toEqual(['--output', '-']);
      expect(args.slice(0, 2)).toEqual(['--timeout', '0']);
    }
  });

  it('asks for a yuv420 width that needs no row padding, and reads frames of exactly that size', () => {
    for (const [w, h] of [[224, 224], [128, 128], [300, 201], [1280, 720]]) {
      const size = unpaddedYuvSize(w, h);
      expect(size.width % 128).toBe(0);
      expect(size.width).toBeGreaterThanOrEqual(w);
      expect(size.width - w).toBeLessThan(128);
      expect(size.height % 2).toBe(0);
      const { args, raw } = rpicamCommand({ command: 'rpicam-vid', codec: 'yuv420', rotation: 0, width: w, height: h, fps: 10, quality: 80 });
      expect(raw).toEqual({ format: 'yuv420', ...size });
      expect(args[args.indexOf('--width') + 1]).toBe(String(size.width));
      expect(rawFrameBytes(raw!)).toBe(size.width * size.height * 1.5);
    }
  });

  it('refuses values that are not what they claim, naming the key', () => {
    const base = { command: 'rpicam-vid', codec: 'mjpeg', rotation: 0, width: 640, height: 480, fps: 25, quality: 80 };
    expect(() => rpicamCommand({ ...base, width: '--post-process-file=/tmp/x' })).toThrow(/camera\.width: .* is not an integer/);
    expect(() => rpicamCommand({ ...base, width: '640' })).toThrow(/camera\.width/);
    expect(() => rpicamCommand({ ...base, codec: 'h264' })).toThrow(/camera\.rpicam\.codec: "h264" is not one of "mjpeg", "yuv420"/);
    expect(() => rpicamCommand({ ...base, command: '/bin/sh' })).toThrow(/camera\.rpicam\.command/);
    expect(() => rpicamCommand({ ...base, quality: 101 })).toThrow(/camera\.rpicam\.quality/);
    expect(() => rpicamCommand({ ...base, fps: Number.NaN })).toThrow(/camera\.fps/);
    expect(() => rpicamCommand({ ...base, rotation: 90 })).toThrow(/camera\.rpicam\.rotation/);
  });
});

describe('ffmpeg command lines', () => {
  const afterInput = (args: string[]): string => args[args.indexOf('-i') + 1];

  it('v4l2: the camera\'s MJPEG passed through unchanged, YUYV as raw RGB of the asked size', () => {
    const mjpeg = v4l2Command({ device: '/dev/video2', inputFormat: 'mjpeg', width: 1280, height: 720, fps: 25 });
    expect(mjpeg.args.join(' ')).toContain('-f v4l2 -input_format mjpeg -video_size 1280x720 -framerate 25 -i /dev/video2');
    expect(mjpeg.args.slice(-5)).toEqual(['-c:v', 'copy', '-f', 'mjpeg', '-']);
    expect(mjpeg.raw).toBeNull();
    const yuyv = v4l2Command({ device: '/dev/video0', inputFormat: 'yuyv422', width: 640, height: 480, fps: 10 });
    expect(yuyv.args.join(' ')).toContain('-input_format yuyv422');
    expect(yuyv.raw).toEqual({ format: 'rgb24', width: 640, height: 480 });
    expect(() => v4l2Command({ device: '/dev/video0 -y', inputFormat: 'mjpeg', width: 640, height: 480, fps: 10 })).toThrow(/camera\.v4l2\.device/);
    expect(() => v4l2Command({ device: '/dev/video0', inputFormat: 'h264', width: 640, height: 480, fps: 10 })).toThrow(/camera\.v4l2\.inputFormat/);
  });

  it('rtsp: transport, hardware decoding before the input, scaling in the decoder to raw RGB', () => {
    const base = { url: 'rtsp://user:secret@cam.local:8554/stream', transport: 'auto', hardwareDecoding: false, scale: false, width: 224, height: 224 };
    const plain = rtspCommand(base);
    expect(plain.args).not.toContain('-rtsp_transport');
    expect(afterInput(plain.args)).toBe(base.url);
    expect(plain.raw).toBeNull();
    const tcp = rtspCommand({ ...base, transport: 'tcp', hardwareDecoding: true, scale: true });
    expect(tcp.args.join(' ')).toContain('-rtsp_transport tcp -c:v h264_v4l2m2m -i rtsp://');
    expect(tcp.args.join(' ')).toContain('-vf scale=224:224 -pix_fmt rgb24 -f rawvideo -');
    expect(tcp.raw).toEqual({ format: 'rgb24', width: 224, height: 224 });
    expect(() => rtspCommand({ ...base, transport: 'http' })).toThrow(/camera\.rtsp\.transport/);
    expect(() => rtspCommand({ ...base, hardwareDecoding: 'yes' })).toThrow(/camera\.rtsp\.hardwareDecoding/);
  });

  it('refuses URLs that are another protocol, have no host, or carry spaces or control characters, with the password redacted', () => {
    const bad = ['-i /etc/passwd', 'file:/etc/passwd', 'concat:rtsp://a|rtsp://b', 'http://cam/x', 'rtsp://', 'rtsp://user:hunter2@cam/a b', 'rtsp://cam/\n-y', 42, null];
    for (const url of bad) {
      let message = '';
      try {
        rtspCommand({ url, transport: 'auto', hardwareDecoding: false, scale: false, width: 224, height: 224 });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, String(url)).toMatch(/^camera\.rtsp\.url: .* is not an rtsp:\/\/ or rtsps:\/\/ URL with a host/);
      expect(message).not.toContain('hunter2');
    }
    expect(() => httpCommand({ url: 'rtsp://cam/a', scale: false, width: 1, height: 1 })).toThrow(/camera\.http\.url/);
  });

  it('http: the multipart parts demuxed, their JPEGs passed through, ffmpeg held to web protocols', () => {
    const { args, raw } = httpCommand({ url: 'http://10.0.0.5:81/stream', scale: false, width: 640, height: 480 });
    expect(args.join(' ')).toContain('-protocol_whitelist http,https,tcp,tls -f mpjpeg -i http://10.0.0.5:81/stream');
    expect(args.slice(-5)).toEqual(['-c:v', 'copy', '-f', 'mjpeg', '-']);
    expect(raw).toBeNull();
  });
});
