// bench:arm-decode as a user runs it: sharp's arm64 libvips fetched, the driver cross-built
// against it, run under qemu-user with the instruction-count plugin, the blocks timed by
// llvm-mca. What is asserted is what was decoded (libjpeg's scaled sizes, the models' input
// sizes at the load scale libvips reports here) and that the model covers it, never a speed.
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { DecodeFigures } from '../../bench/figures/arm-decode.js';
import { missingArmModelTools } from '../support/arm-tools.js';
import { repoRoot } from '../support/paths.js';
import { itWhenPresent } from '../support/required-part.js';
import { runNode } from '../support/run-cli.js';

const script = join(repoRoot, 'dist/bench/arm-decode.js');

describe('bench:arm-decode', () => {
  itWhenPresent(missingArmModelTools())('models a 720p frame\'s decode at each scale and each stream model\'s preprocessing on the three Pi cores', async () => {
    const r = await runNode(script, ['--json'], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as DecodeFigures;
    expect(out.frame).toEqual({ file: 'samples/cat_720p.jpg', width: 1280, height: 720 });
    // libjpeg's scaled decode: the frame's size divided by the scale, rounded up.
    expect(out.cases.slice(0, 4).map((c) => [c.case, c.output])).toEqual([1, 2, 4, 8].map((s) => [String(s), `${Math.ceil(1280 / s)}x${Math.ceil(720 / s)}`]));
    // Each stream model's input, decoded at the scale the agent's preprocessing uses for it
    // (test/agent/jpeg-shrink-on-load.test.ts).
    expect(out.cases.slice(4).map((c) => [c.case, c.output])).toEqual([['4:128:128', '128x128'], ['2:224:224', '224x224'], ['1:300:300', '300x300']]);
    // A smaller scale runs fewer instructions (a smaller IDCT, fewer pixels to colour-convert).
    const insns = out.cases.slice(0, 4).map((c) => c.instructions);
    expect(insns).toEqual([...insns].sort((a, b) => b - a));
    expect(new Set(insns).size).toBe(4);
    for (const c of out.cases) {
      expect(c.modelledShare).toBeGreaterThanOrEqual(0.95);
      expect(Object.keys(c.ms).sort()).toEqual(['pi3', 'pi4', 'pi5']);
      // The same instructions take longer on the A53 at 1.2 GHz than on the A72 at 1.5 GHz.
      expect(c.ms.pi3).toBeGreaterThan(c.ms.pi4);
    }
  }, 300_000);
});
