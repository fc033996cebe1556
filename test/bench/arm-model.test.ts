// bench:arm as a user runs it, on v2 and the detector: the model files are read and planned,
// the cross-built counting driver runs their C operators under qemu-user with the
// instruction-count plugin, llvm-mca times the blocks, and the last line is the JSON the
// issue asks for. What is asserted is the shape of the model, what of each model it covers,
// and what the compiled loops are (MACs per iteration read from their instructions), never a
// speed.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingArmModelTools } from '../support/arm-tools.js';
import { repoRoot } from '../support/paths.js';
import { itWhenPresent } from '../support/required-part.js';
import { runNode } from '../support/run-cli.js';

const script = join(repoRoot, 'dist/bench/arm-model.js');

interface Out {
  boards: Record<string, Record<string, number>>;
  models: Record<string, { steps: number; modelledSteps: number; modelled: string[]; macs: number; modelledMacs: number; notModelled: { operator: string }[] }>;
  kernels: { kernel: string; board: string; core: string; macsPerIteration: number; cyclesPerIteration: number; macsPerCycle: number; bottleneck: string }[];
}

describe('bench:arm', () => {
  itWhenPresent(missingArmModelTools())('models v2 and the detector on the three Pi cores from qemu instruction counts and llvm-mca', async () => {
    const r = await runNode(script, ['--models', 'v2,ssd', '--json'], { timeoutMs: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]) as Out;
    expect(Object.keys(out.boards).sort()).toEqual(['pi3', 'pi4', 'pi5']);
    for (const board of Object.values(out.boards)) {
      expect(Object.keys(board)).toEqual(['v2', 'ssd']);
      expect(board.v2).toBeGreaterThan(0);
      // 2.4 times v2's MACs, at 300x300.
      expect(board.ssd).toBeGreaterThan(board.v2);
    }
    // The same instructions run slower on the A53 at 1.2 GHz than on the A72 at 1.5 GHz.
    expect(out.boards.pi3.v2).toBeGreaterThan(out.boards.pi4.v2);
    // v2 runs in C from end to end: residual adds, pooling and softmax included.
    expect(out.models.v2.modelledSteps).toBe(out.models.v2.steps);
    expect(out.models.v2.modelled).toEqual(expect.arrayContaining(['conv', 'depthwise', 'gemm', 'add', 'averagePool', 'softmax']));
    // The detector's convolutions are all its MACs, and its LOGISTIC is a C lookup; the rest of
    // its head runs in TypeScript, and the output says so.
    const ssd = out.models.ssd;
    expect(ssd.modelled.sort()).toEqual(['conv', 'depthwise', 'gemm', 'logistic']);
    expect(ssd.modelledMacs).toBe(ssd.macs);
    expect(ssd.notModelled.map((s) => s.operator).sort()).toEqual(['CONCATENATION', 'CONCATENATION', 'CUSTOM:TFLite_Detection_PostProcess']);
    expect(ssd.modelledSteps + ssd.notModelled.length).toBe(ssd.steps);
    const loop = (board: string, kernel: string) => out.kernels.find((k) => k.board === board && k.kernel === kernel);
    // Each board's GEMM inner loop, found in the compiled code: 2x8 x 8 k of UMULL on the A72,
    // 4x16 x 8 k of SMLAL on the A53 (its path, neon-mlal), 4x16 x 16 k of UDOT on the A76.
    for (const [board, kernel, macs] of [
      ['pi4', 'qu8_gemm_2x8c8__aarch64_neon_umull', 128],
      ['pi3', 'qu8_gemm_4x16__aarch64_neon_mlal', 512],
    ] as const) {
      const gemm = loop(board, kernel);
      expect(gemm?.macsPerIteration).toBe(macs);
      expect(gemm!.macsPerCycle).toBeCloseTo(gemm!.macsPerIteration / gemm!.cyclesPerIteration, 1);
      expect(gemm!.bottleneck).not.toBe('');
    }
    expect(loop('pi5', 'qu8_gemm_4x16c4__neondot')?.macsPerIteration).toBe(1024);
    expect(loop('pi5', 'qu8_gemm_4x16c4__neondot')?.core).toBe('neoverse-n1');
  }, 300_000);

  it('refuses an unknown model with one line and the usage, exit 2', async () => {
    const r = await runNode(script, ['--models', 'v3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--models: unknown model "v3"/);
    expect(r.stderr).toContain('usage: npm run bench:arm');
  });
});
