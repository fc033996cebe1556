import { redactSecrets } from '../../logging/redaction.js';
import { CameraError, type RawPixels } from '../camera.js';
import { SIZE_MAX, SIZE_MIN, integer, number, oneOf, videoDevice } from '../options.js';

// ffmpeg command lines for the stream sources. Every value is validated before it goes on
// the line: a device is /dev/videoN, sizes and rates are numbers, choices are fixed words,
// and a URL is a plain rtsp:// or http(s):// URL, which can neither start with '-' nor name
// another ffmpeg protocol (file:, concat:, subfile:); -protocol_whitelist restricts ffmpeg
// to the protocols the source needs, should a server redirect it elsewhere.

/** Quiet except for errors, which go to stderr (rate-limited into the log); no stdin. */
const COMMON = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
/** JPEG quality when ffmpeg must encode (an RTSP stream is H.264): 2 (best) to 31. */
const MJPEG_QSCALE = '4';

export interface FfmpegCommand {
  args: string[];
  /** Set when ffmpeg hands over raw pixels rather than JPEGs. */
  raw: RawPixels | null;
}

function size(width: unknown, height: unknown): { width: number; height: number } {
  return { width: integer(width, 'camera.width', SIZE_MIN, SIZE_MAX), height: integer(height, 'camera.height', SIZE_MIN, SIZE_MAX) };
}

/** Raw RGB at the given size, scaled by ffmpeg: no JPEG is encoded or decoded after ffmpeg's own decode. */
function rawOutput(width: number, height: number): FfmpegCommand {
  return {
    args: ['-vf', `scale=${width}:${height}`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'],
    raw: { format: 'rgb24', width, height },
  };
}

const URL_SCHEMES = { rtsp: /^rtsps?:$/, http: /^https?:$/ } as const;

/** A URL of the given kind, with a host and nothing that is not plain URL text. */
export function streamUrl(value: unknown, key: string, kind: keyof typeof URL_SCHEMES): string {
  const text = typeof value === 'string' ? value : '';
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Reported below.
  }
  if (url === null || !URL_SCHEMES[kind].test(url.protocol) || url.hostname === '' || /[\s\x00-\x1f\x7f]/.test(text)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value) : String(value);
    throw new CameraError(`${key}: ${redactSecrets(shown)} is not an ${kind === 'rtsp' ? 'rtsp:// or rtsps://' : 'http:// or https://'} URL with a host`);
  }
  return text;
}

export interface V4l2Options {
  device: unknown;
  inputFormat: unknown;
  width: unknown;
  height: unknown;
  fps: unknown;
}

/**
 * A V4L2 webcam: its own MJPEG passed through unchanged (-c:v copy: nothing decoded or
 * encoded in ffmpeg), or, for a camera without MJPEG, its YUYV converted to raw RGB.
 */
export function v4l2Command(options: V4l2Options): FfmpegCommand {
  const device = videoDevice(options.device, 'camera.v4l2.device');
  const format = oneOf(options.inputFormat, 'camera.v4l2.inputFormat', ['mjpeg', 'yuyv422'] as const);
  const { width, height } = size(options.width, options.height);
  const fps = number(options.fps, 'camera.fps', 0.1, 1000);
  const input = [...COMMON, '-f', 'v4l2', '-input_format', format, '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', device];
  if (format === 'mjpeg') return { args: [...input, '-an', '-c:v', 'copy', '-f', 'mjpeg', '-'], raw: null };
  const out = rawOutput(width, height);
  return { args: [...input, '-an', ...out.args], raw: out.raw };
}

export interface RtspOptions {
  url: unknown;
  transport: unknown;
  hardwareDecoding: unknown;
  scale: unknown;
  width: unknown;
  height: unknown;
}

/**
 * An RTSP camera. Its H.264 (or H.265, MJPEG) is decoded by ffmpeg, by the board's
 * decoder when asked (h264_v4l2m2m on a Pi 4), and handed over either as JPEGs at the
 * camera's size (for the page and snapshots) or, with scale, as raw RGB at
 * camera.width x camera.height, scaled in ffmpeg, so that nothing is encoded or decoded
 * again. Transport auto is ffmpeg's own choice, RTP over UDP first and TCP if no UDP
 * arrives, which works with servers that only relay over UDP.
 */
export function rtspCommand(options: RtspOptions): FfmpegCommand {
  const url = streamUrl(options.url, 'camera.rtsp.url', 'rtsp');
  const transport = oneOf(options.transport, 'camera.rtsp.transport', ['auto', 'tcp', 'udp'] as const);
  const hardware = oneOf(options.hardwareDecoding, 'camera.rtsp.hardwareDecoding', [true, false] as never[]) as boolean;
  const scale = oneOf(options.scale, 'camera.rtsp.scale', [true, false] as never[]) as boolean;
  const input = [
    ...COMMON,
    '-protocol_whitelist', 'rtsp,rtsps,rtp,srtp,udp,tcp,tls',
    ...(transport === 'auto' ? [] : ['-rtsp_transport', transport]),
    ...(hardware ? ['-c:v', 'h264_v4l2m2m'] : []),
    '-i', url,
    '-an',
  ];
  if (scale) {
    const { width, height } = size(options.width, options.height);
    const out = rawOutput(width, height);
    return { args: [...input, ...out.args], raw: out.raw };
  }
  return { args: [...input, '-c:v', 'mjpeg', '-q:v', MJPEG_QSCALE, '-f', 'mjpeg', '-'], raw: null };
}

export interface HttpOptions {
  url: unknown;
  scale: unknown;
  width: unknown;
  height: unknown;
}

/**
 * An HTTP MJPEG camera (multipart/x-mixed-replace, as ESP32-CAM and mjpg-streamer serve
 * it): ffmpeg's mpjpeg demuxer takes the parts, and their JPEGs are passed through
 * unchanged, or decoded and scaled to raw RGB with scale.
 */
export function httpCommand(options: HttpOptions): FfmpegCommand {
  const url = streamUrl(options.url, 'camera.http.url', 'http');
  const scale = oneOf(options.scale, 'camera.http.scale', [true, false] as never[]) as boolean;
  const input = [...COMMON, '-protocol_whitelist', 'http,https,tcp,tls', '-f', 'mpjpeg', '-i', url, '-an'];
  if (scale) {
    const { width, height } = size(options.width, options.height);
    const out = rawOutput(width, height);
    return { args: [...input, ...out.args], raw: out.raw };
  }
  return { args: [...input, '-c:v', 'copy', '-f', 'mjpeg', '-'], raw: null };
}
