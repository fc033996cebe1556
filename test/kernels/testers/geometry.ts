import { outputGeometry } from '../plain-loop.js';

/** TFLite's SAME or VALID, or explicit padding with the output size it implies. */
export type PaddingSpec = 'SAME' | 'VALID' | { top: number; left: number; outputH: number; outputW: number };

export interface Window {
  outputH: number;
  outputW: number;
  padTop: number;
  padLeft: number;
}

export function windowFor(
  padding: PaddingSpec, inputH: number, inputW: number, kernelH: number, kernelW: number, strideH: number, strideW: number,
): Window {
  if (typeof padding === 'object') {
    return { outputH: padding.outputH, outputW: padding.outputW, padTop: padding.top, padLeft: padding.left };
  }
  const h = outputGeometry(padding, inputH, kernelH, strideH);
  const w = outputGeometry(padding, inputW, kernelW, strideW);
  return { outputH: h.out, outputW: w.out, padTop: h.before, padLeft: w.before };
}
