// At what scale the agent's preprocessing has libjpeg decode a JPEG: 1, or 2, 4 or 8 when
// sharp uses shrink-on-load (it decides by itself, from the frame and the model's input).
// The witness is libvips' own account: with VIPS_INFO set it logs the resize it does after
// loading ("residual reducev by R", the vertical factor from the loaded rows to the
// model's), and the height the JPEG was loaded at follows from it and the input height.
// VIPS_INFO is read when libvips starts, so the preprocessing runs in a child process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDir } from '../agent/core/install-dir.js';
import type { InputSpec, PreprocessOptions } from '../agent/pipeline/preprocess.js';
import { defaultPreprocess } from '../agent/pipeline/preprocess.js';

// The built preprocessing (npm run build), whichever layout this file runs from.
const preprocessModule = join(installDir, 'dist/agent/pipeline/preprocess.js');

// The image comes on stdin: a file or a frame held in memory alike.
const child = `
const { readFileSync } = await import('node:fs');
const { imageToTensor } = await import(process.argv[1]);
await imageToTensor(readFileSync(0), JSON.parse(process.argv[2]), 'stdin', JSON.parse(process.argv[3]));
`;

/**
 * The frame's height over the height libjpeg decoded it at (1: full size, or 2, 4 or 8) when
 * the agent's preprocessing takes `image` (a file or the bytes; `frameHeight` rows) to
 * `spec`, read from libvips' info log. Throws when the log does not give a whole power of
 * two, so that a change in libvips' wording cannot pass unseen.
 */
export function jpegLoadScale(image: string | Buffer, frameHeight: number, spec: InputSpec, options: PreprocessOptions = defaultPreprocess): number {
  const what = typeof image === 'string' ? image : 'the frame';
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', child, preprocessModule, JSON.stringify(spec), JSON.stringify(options)], {
    input: typeof image === 'string' ? readFileSync(image) : image,
    env: { ...process.env, VIPS_INFO: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`the preprocessing of ${what} failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  // GLib writes info messages to stdout.
  const log = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.replace(/^VIPS-INFO: [\d:.]+: /, '')).filter((l) => /shrinkv|reducev by|subsample/.test(l));
  const residual = Number(/residual reducev by ([\d.]+)/.exec(log.join('\n'))?.[1] ?? 1);
  // The whole vertical factor from the loaded rows to the model's (any "shrinkv by N" it
  // then logs is the part of it done by whole rows).
  const scale = frameHeight / (spec.height / residual);
  const power = [1, 2, 4, 8].find((p) => Math.abs(scale - p) / p < 0.01);
  if (power === undefined) throw new Error(`libvips' log gives a load scale of ${scale.toFixed(3)} for ${what}, not 1, 2, 4 or 8: ${log.join('; ')}`);
  return power;
}
