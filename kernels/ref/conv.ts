// General KxK convolution (MobileNet's first layer: 3x3, stride 2, over 3 channels) as
// im2col + the packed GEMM. One output row at a time, each output pixel's window is
// copied into a patch row of kernelH * kernelW * inputC bytes, in the OHWI order of the
// weights, with padding taps holding the input zero point (which contributes nothing,
// as ARITHMETIC.md defines). The patch buffer holds one output row, so its size does not
// grow with the image.

import type { ConvParams, UnaryKernel } from '../kernel-set.js';
import { validateConvParams } from './conv-geometry.js';
import { PackedGemm } from './packed-gemm.js';
import * as v from './validate.js';

const OP = 'conv';

export function validateConv(p: ConvParams, weights: Uint8Array): v.Sizes {
  const sizes = validateConvParams(OP, p);
  v.weightArray(OP, weights, v.elementCount(OP, 'weights', p.outputC, p.kernelH * p.kernelW * p.inputC));
  return sizes;
}

export function createConv(p: ConvParams, weights: Uint8Array): UnaryKernel {
  const { inputSize, outputSize } = validateConv(p, weights);
  const { inputH, inputW, inputC, outputH, outputW, outputC, kernelH, kernelW, strideH, strideW, padTop, padLeft } = p;
  const rowBytes = kernelW * inputC;
  const patchSize = kernelH * rowBytes;
  const gemm = new PackedGemm({ ...p, inputC: patchSize }, weights);
  // This engine's own limit: C's im2col fills tiles of a few patch rows, not a whole output row.
  const patches = new Uint8Array(v.elementCount(OP, 'patch row', outputW, patchSize));
  const zx = p.inputZeroPoint;

  return {
    run(input: Uint8Array, output: Uint8Array): void {
      v.buffer(OP, 'input', input, Uint8Array, inputSize);
      v.buffer(OP, 'output', output, Uint8Array, outputSize);
      for (let oy = 0; oy < outputH; oy++) {
        const iy0 = oy * strideH - padTop;
        let d = 0;
        for (let ox = 0; ox < outputW; ox++) {
          const ix0 = ox * strideW - padLeft;
          for (let ky = 0; ky < kernelH; ky++) {
            const iy = iy0 + ky;
            if (iy < 0 || iy >= inputH) {
              patches.fill(zx, d, d + rowBytes);
              d += rowBytes;
              continue;
            }
            for (let kx = 0; kx < kernelW; kx++) {
              const ix = ix0 + kx;
              if (ix < 0 || ix >= inputW) {
                patches.fill(zx, d, d + inputC);
              } else {
                const s = (iy * inputW + ix) * inputC;
                for (let c = 0; c < inputC; c++) patches[d + c] = input[s + c];
              }
              d += inputC;
            }
          }
        }
        gemm.run(patches, 0, outputW, output, oy * outputW * outputC);
      }
    },
  };
}
