import type { RawPixels } from '../camera.js';
import { CameraError } from '../camera.js';
import { findProgram } from './find-program.js';
import { MjpegSplitter } from './mjpeg-splitter.js';
import { RawSplitter } from './raw-splitter.js';
import type { StreamCameraParts, StreamOpener } from './stream-camera.js';
import { StreamProcess } from './stream-process.js';

/** How a program writes its frames to stdout. */
export type StreamFormat = { kind: 'mjpeg'; maxFrameBytes: number } | { kind: 'raw'; raw: RawPixels };

/** Bytes of one raw frame: 3 per pixel for RGB, 1.5 for YUV 4:2:0. */
export function rawFrameBytes({ format, width, height }: RawPixels): number {
  return format === 'rgb24' ? width * height * 3 : width * height + 2 * (width / 2) * (height / 2);
}

/** Garbage in a stream is logged at most this often; telemetry counts all of it. */
const SKIP_LOG_INTERVAL_MS = 60_000;

export interface ProgramStreamOptions {
  /** The program's names, tried in order (rpicam-vid, then its older name libcamera-vid). */
  programs: readonly string[];
  args: readonly string[];
  /** The camera's name, credentials redacted: in messages and as each frame's source. */
  name: string;
  format: StreamFormat;
}

/**
 * A stream read from a capture program's stdout (ffmpeg, rpicam-vid), split into frames.
 * Each start runs the program anew with a new splitter, so a restart never joins the
 * bytes of two runs into one frame.
 */
export function programStream({ programs, args, name, format }: ProgramStreamOptions, parts: StreamCameraParts): StreamOpener {
  return (frame, ended) => {
    const found = findProgram(programs);
    if (!found) throw new CameraError(`${name}: ${programs.join(' or ')} is not installed (not found on PATH)`);
    const { stream } = parts.stats;
    let push: (chunk: Buffer) => void;
    if (format.kind === 'raw') {
      const { raw } = format;
      const splitter = new RawSplitter(rawFrameBytes(raw), (data) => frame({ data, source: name, raw }));
      push = (chunk) => splitter.push(chunk);
    } else {
      const splitter = new MjpegSplitter(format.maxFrameBytes, (data) => frame({ data, source: name }));
      let counted = { skippedBytes: 0, skippedFrames: 0 };
      let loggedAt = -Infinity;
      push = (chunk) => {
        splitter.push(chunk);
        const { skippedBytes, skippedFrames } = splitter.stats;
        if (skippedBytes === counted.skippedBytes && skippedFrames === counted.skippedFrames) return;
        stream.skippedBytes += skippedBytes - counted.skippedBytes;
        stream.skippedFrames += skippedFrames - counted.skippedFrames;
        counted = { skippedBytes, skippedFrames };
        if (Date.now() - loggedAt >= SKIP_LOG_INTERVAL_MS) {
          loggedAt = Date.now();
          parts.log.warn(
            { camera: name, skippedBytes: stream.skippedBytes, skippedFrames: stream.skippedFrames },
            'the camera stream carries bytes that are not whole JPEG frames; they are skipped (logged at most once a minute; telemetry camera.stream counts them all)',
          );
        }
      };
    }
    const child = new StreamProcess({ file: found.path, args, label: `${found.name} (${name})` }, parts.log, push, ended);
    return { stop: () => child.stop() };
  };
}
