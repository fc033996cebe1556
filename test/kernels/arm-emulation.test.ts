// npm run test:arm inside npm test: the kernels cross-compiled for aarch64 and armv7 and
// checked bit-exact under qemu (NEON, dot product, armv7 NEON), then the addons that
// scripts/deploy ships, on the arm64 and armv7 Nodes under qemu, against TensorFlow Lite. It needs qemu-user and the cross
// compilers (.ci/run installs them); without them it fails with the apt-get line to run.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.js';

describe('ARM kernels under emulation (scripts/test-arm)', () => {
  it('passes every case on the aarch64 NEON, dot-product and armv7 paths, and agrees with TFLite on the arm64 and armv7 Nodes', async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(`${repoRoot}scripts/test-arm`, { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    const tail = output.split('\n').slice(-40).join('\n');
    expect(code, tail).toBe(0);
    for (const path of [/aarch64 neon .*: path neon .*: \d+ cases passed/, /aarch64 neon-mlal .*: path neon-mlal .*: \d+ cases passed/, /aarch64 dotprod .*: path neondot .*: \d+ cases passed/, /armv7 neon .*: path armv7-neon .*: \d+ cases passed/, /armv7 neon-mlal .*: path armv7-neon-mlal .*: \d+ cases passed/]) {
      expect(output, tail).toMatch(path);
    }
    for (const engine of ['neon', 'neondot', 'armv7-neon']) {
      expect(output, tail).toMatch(new RegExp(`^engine native:${engine}: [1-9]\\d* cases agree with TFLite, 0 disagree`, 'm'));
    }
  }, 20 * 60_000);
});
