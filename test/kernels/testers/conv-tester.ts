// Builder for CONV_2D cases:
//   new ConvTester().inputSize(9, 7).inputChannels(3).outputChannels(16).kernel(3, 3)
//     .stride(2).padding('SAME').relu6().test(kernels)

import type { ConvParams, KernelSet } from '../../../kernels/kernel-set.js';
import { conv, convAccumulators, requantizeAll } from '../plain-loop.js';
import { Rng } from '../../support/rng.js';
import { WindowedLayerTester } from './windowed-layer-tester.js';
import { chooseRequantization } from './output-quantization.js';

export class ConvTester extends WindowedLayerTester {
  private ic = 3;
  private oc = 8;

  inputChannels(c: number): this { this.ic = c; return this; }
  outputChannels(c: number): this { this.oc = c; return this; }

  protected shape(): Record<string, unknown> {
    return { input: [this.h, this.w, this.ic], outputC: this.oc, kernel: [this.kh, this.kw], stride: [this.sh, this.sw], padding: this.pad };
  }

  test(kernels: KernelSet): void {
    const seed = this.seedFor();
    const rng = new Rng(seed);
    const win = this.window();
    const taps = this.kh * this.kw * this.ic;
    const p: ConvParams = {
      inputH: this.h, inputW: this.w, inputC: this.ic, outputC: this.oc,
      kernelH: this.kh, kernelW: this.kw, strideH: this.sh, strideW: this.sw, ...win,
      inputZeroPoint: this.inputZeroPointFrom(rng),
      weightZeroPoint: this.weightZeroPointsFrom(rng, this.oc),
      bias: this.biasFrom(rng, this.oc, taps),
      requant: { scale: new Float32Array(this.oc).fill(1), outputZeroPoint: 0, min: 0, max: 255 },
    };
    const weights = this.weightsFrom(rng, this.oc * taps, p.weightZeroPoint, (i) => Math.floor(i / taps));
    const inputs = [0, 1].map(() => this.inputFrom(rng, this.h * this.w * this.ic, p.inputZeroPoint));
    const acc = convAccumulators(p, inputs[0], weights);
    p.requant = chooseRequantization(rng, acc, this.oc, this.outputSpec());
    const expected = [requantizeAll(acc, p.requant, this.oc), conv(p, inputs[1], weights)];

    const kernel = kernels.conv(p, weights);
    const c = this.caseFor(kernels.name, 'conv', seed);
    this.expectOutputs(c, kernel, inputs, expected, win.outputW, this.oc);
  }
}
