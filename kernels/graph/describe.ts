import type { Step } from './steps.js';

/** A short shape description of a step for profiles: in -> out, kernel and stride where they apply. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'conv':
    case 'depthwise': {
      const p = step.params;
      return `${p.inputH}x${p.inputW}x${p.inputC} -> ${p.outputH}x${p.outputW}x${p.outputC} k${p.kernelH}x${p.kernelW} s${p.strideH}`;
    }
    case 'gemm':
      return `${step.params.rows}x${step.params.inputC} -> ${step.params.rows}x${step.params.outputC}`;
    case 'averagePool': {
      const p = step.params;
      return `${p.inputH}x${p.inputW}x${p.channels} -> ${p.outputH}x${p.outputW}x${p.channels} k${p.filterH}x${p.filterW}`;
    }
    case 'mean':
      return `${step.params.inputH}x${step.params.inputW}x${step.params.channels} -> ${step.params.channels}`;
    case 'softmax':
      return `${step.params.rows}x${step.params.channels}`;
    case 'pad': {
      const p = step.params;
      return `${p.inputH}x${p.inputW}x${p.inputC} -> ${p.inputH + p.padTop + p.padBottom}x${p.inputW + p.padLeft + p.padRight}x${p.inputC + p.padChannelsBefore + p.padChannelsAfter}`;
    }
    case 'concatenation': {
      const p = step.params;
      return `${p.axisSizes.join('+')} -> ${p.outer}x${p.axisSizes.reduce((a, b) => a + b, 0)}x${p.inner}`;
    }
    case 'detectionPostprocess': {
      const p = step.params;
      return `${p.boxes} boxes x ${p.classesWithBackground} classes -> ${p.maxDetections} ${p.useRegularNms ? 'regular' : 'fast'} NMS`;
    }
    case 'mul': {
      const p = step.params;
      const shown = (strides: number[]): string => p.shape.map((d, k) => (strides[k] === 0 ? 1 : d)).join('x');
      return `${shown(p.stridesA)} * ${shown(p.stridesB)} -> ${p.shape.join('x')}`;
    }
    case 'resizeNearest':
    case 'resizeBilinear': {
      const p = step.params;
      const mode = p.alignCorners ? ' align_corners' : p.halfPixelCenters ? ' half_pixel' : '';
      return `${p.inputH}x${p.inputW}x${p.channels} -> ${p.outputH}x${p.outputW}x${p.channels}${mode}`;
    }
    case 'slice':
      return `${step.params.outer}x${step.params.stride} -> ${step.params.outer}x${step.params.length}`;
    case 'argMax':
      return `${step.params.outer}x${step.params.axisSize}x${step.params.inner} -> ${step.params.outer}x${step.params.inner}`;
    default:
      return `${step.params.size}`;
  }
}
