// Builder for DEPTHWISE_CONV_2D cases:
//   new DepthwiseTester().inputSize(9, 9).channels(17).depthMultiplier(2).kernel(3, 3)
//     .stride(2).padding('SAME').test(kernels)

import type { DepthwiseParams, KernelSet } from '../../../kernels/kernel-set.js';
import { depthwise, depthwiseAccumulators, requantizeAll } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { WindowedLayerTester } from './windowed-layer-tester.js';
import { chooseRequantization } from './output-quantization.js';

export class DepthwiseTester extends WindowedLayerTester {
  private c = 8;
  private m = 1;

  /** Input channels; output channels are channels * depthMultiplier. */
  channels(c: number): this { this.c = c; return this; }
  depthMultiplier(m: number): this { this.m = m; return this; }

  protected shape(): Record<string, unknown> {
    return { input: [this.h, this.w, this.c], depthMultiplier: this.m, kernel: [this.kh, this.kw], stride: [this.sh, this.sw], padding: this.pad };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const win = this.window();
    const oc = this.c * this.m;
    const p: DepthwiseParams = {
      inputH: this.h, inputW: this.w, inputC: this.c, outputC: oc, depthMultiplier: this.m,
      kernelH: this.kh, kernelW: this.kw, strideH: this.sh, strideW: this.sw, ...win,
      inputZeroPoint: this.inputZeroPointFrom(rng),
      weightZeroPoint: this.weightZeroPointsFrom(rng, oc),
      bias: this.biasFrom(rng, oc, this.kh * this.kw),
      requant: { scale: new Float32Array(oc).fill(1), outputZeroPoint: 0, min: 0, max: 255 },
    };
    const weights = this.weightsFrom(rng, this.kh * this.kw * oc, p.weightZeroPoint, (i) => i % oc);
    const inputs = [0, 1].map(() => this.inputFrom(rng, this.h * this.w * this.c, p.inputZeroPoint));
    const acc = depthwiseAccumulators(p, inputs[0], weights);
    p.requant = chooseRequantization(rng, acc, oc, this.outputSpec());
    const expected = [requantizeAll(acc, p.requant, oc), depthwise(p, inputs[1], weights)];

    const kernel = kernels.depthwise(p, weights);
    const c = this.caseFor(kernels.name, 'depthwise', seed);
    this.expectOutputs(c, kernel, inputs, expected, win.outputW, oc);
  }
}
