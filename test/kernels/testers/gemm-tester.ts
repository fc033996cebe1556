// Builder for pointwise / fully connected cases:
//   new GemmTester().rows(13).inputChannels(24).outputChannels(144).test(kernels)

import type { GemmParams, KernelSet } from '../../../kernels/kernel-set.js';
import { expectSameBytes, guarded } from '../compare.js';
import { gemm, gemmAccumulators, requantizeAll } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { LayerTester } from './layer-tester.js';
import { chooseRequantization } from './output-quantization.js';

export class GemmTester extends LayerTester {
  private r = 5;
  private k = 16;
  private n = 8;

  rows(r: number): this { this.r = r; return this; }
  inputChannels(k: number): this { this.k = k; return this; }
  outputChannels(n: number): this { this.n = n; return this; }

  protected shape(): Record<string, unknown> {
    return { rows: this.r, inputC: this.k, outputC: this.n };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const p: GemmParams = {
      rows: this.r, inputC: this.k, outputC: this.n,
      inputZeroPoint: this.inputZeroPointFrom(rng),
      weightZeroPoint: this.weightZeroPointsFrom(rng, this.n),
      bias: this.biasFrom(rng, this.n, this.k),
      requant: { scale: new Float32Array(this.n).fill(1), outputZeroPoint: 0, min: 0, max: 255 },
    };
    const weights = this.weightsFrom(rng, this.n * this.k, p.weightZeroPoint, (i) => Math.floor(i / this.k));
    const inputs = [0, 1].map(() => this.inputFrom(rng, this.r * this.k, p.inputZeroPoint));
    const acc = gemmAccumulators(p, inputs[0], weights);
    p.requant = chooseRequantization(rng, acc, this.n, this.outputSpec());
    const expected = [requantizeAll(acc, p.requant, this.n), gemm(p, inputs[1], weights)];

    const kernel = kernels.gemm(p, weights);
    const c = this.caseFor(kernels.name, 'gemm', seed);
    for (let i = 0; i < inputs.length; i++) {
      const out = guarded(expected[i].length);
      kernel.run(inputs[i], out);
      expectSameBytes(c, out, expected[i], (j) => `[row ${Math.floor(j / this.n)}, c ${j % this.n}]`);
    }
  }
}
