// What the convolution and depthwise builders share: the input size, the kernel window,
// its stride and padding, and running one prepared kernel on two inputs against the
// plain-loop answers.

import type { UnaryKernel } from '../../../kernels/kernel-set.js';
import { type Case, expectSameBytes, guarded, pixelLocator } from '../compare.js';
import { type PaddingSpec, type Window, windowFor } from './geometry.js';
import { LayerTester } from './layer-tester.js';

export abstract class WindowedLayerTester extends LayerTester {
  protected h = 7;
  protected w = 9;
  protected kh = 3;
  protected kw = 3;
  protected sh = 1;
  protected sw = 1;
  protected pad: PaddingSpec = 'SAME';

  inputSize(h: number, w: number): this { this.h = h; this.w = w; return this; }
  kernel(h: number, w: number): this { this.kh = h; this.kw = w; return this; }
  stride(h: number, w = h): this { this.sh = h; this.sw = w; return this; }
  padding(p: PaddingSpec): this { this.pad = p; return this; }

  protected window(): Window {
    return windowFor(this.pad, this.h, this.w, this.kh, this.kw, this.sh, this.sw);
  }

  protected expectOutputs(
    c: Case, kernel: UnaryKernel, inputs: Uint8Array[], expected: Uint8Array[], outputW: number, channels: number,
  ): void {
    for (let i = 0; i < inputs.length; i++) {
      const out = guarded(expected[i].length);
      kernel.run(inputs[i], out);
      expectSameBytes(c, out, expected[i], pixelLocator(outputW, channels));
    }
  }
}
