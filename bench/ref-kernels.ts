// Speed of the TypeScript reference kernels on real MobileNet layer shapes (v1 and v2,
// 1.0/224). Run: npm run build && node dist/bench/ref-kernels.js [--runs N] [--json]
// Reports the median time per layer and GMAC/s (multiply-accumulates, not FLOPs).

import type { ConvParams, ScaleRequantization, UnaryKernel } from '../kernels/kernel-set.js';
import { refKernels } from '../kernels/ref/index.js';

interface Layer {
  name: string;
  macs: number;
  kernel: UnaryKernel;
  input: Uint8Array;
  output: Uint8Array;
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function requant(channels: number, scale: number): ScaleRequantization {
  return { scale: new Float32Array(channels).fill(scale), outputZeroPoint: 0, min: 0, max: 255 };
}

function common(c: number) {
  return { weightZeroPoint: new Int32Array(c).fill(128), bias: new Int32Array(c).fill(1000), requant: requant(c, 0.0015) };
}

function pointwise(h: number, w: number, k: number, n: number): Layer {
  const rows = h * w;
  const kernel = refKernels.gemm({ rows, inputC: k, outputC: n, inputZeroPoint: 0, ...common(n) }, bytes(n * k, 1));
  return { name: `pointwise ${h}x${w}x${k} -> ${n}`, macs: rows * k * n, kernel, input: bytes(rows * k, 2), output: new Uint8Array(rows * n) };
}

function geometry(h: number, w: number, c: number, oc: number, k: number, s: number): ConvParams {
  const oh = Math.ceil(h / s), ow = Math.ceil(w / s);
  const padH = Math.max((oh - 1) * s + k - h, 0), padW = Math.max((ow - 1) * s + k - w, 0);
  return {
    inputH: h, inputW: w, inputC: c, outputH: oh, outputW: ow, outputC: oc, kernelH: k, kernelW: k, strideH: s, strideW: s,
    padTop: Math.floor(padH / 2), padLeft: Math.floor(padW / 2), inputZeroPoint: 0, ...common(oc),
  };
}

function depthwise(h: number, w: number, c: number, s: number): Layer {
  const p = geometry(h, w, c, c, 3, s);
  const kernel = refKernels.depthwise({ ...p, depthMultiplier: 1 }, bytes(9 * c, 3));
  const outputs = p.outputH * p.outputW * c;
  return { name: `depthwise 3x3 s${s} ${h}x${w}x${c}`, macs: outputs * 9, kernel, input: bytes(h * w * c, 4), output: new Uint8Array(outputs) };
}

function conv(h: number, w: number, c: number, oc: number, s: number): Layer {
  const p = geometry(h, w, c, oc, 3, s);
  const kernel = refKernels.conv(p, bytes(oc * 9 * c, 5));
  const outputs = p.outputH * p.outputW * oc;
  return { name: `conv 3x3 s${s} ${h}x${w}x${c} -> ${oc}`, macs: outputs * 9 * c, kernel, input: bytes(h * w * c, 6), output: new Uint8Array(outputs) };
}

const layers: Layer[] = [
  conv(224, 224, 3, 32, 2),
  depthwise(112, 112, 32, 1),
  depthwise(112, 112, 96, 2),
  depthwise(56, 56, 144, 1),
  depthwise(28, 28, 192, 1),
  depthwise(14, 14, 576, 1),
  depthwise(7, 7, 1024, 1),
  pointwise(112, 112, 32, 16),
  pointwise(56, 56, 24, 144),
  pointwise(56, 56, 144, 24),
  pointwise(28, 28, 192, 32),
  pointwise(14, 14, 512, 512),
  pointwise(7, 7, 960, 320),
  pointwise(7, 7, 1024, 1024),
  pointwise(1, 1, 1024, 1001),
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 15;
const json = args.includes('--json');
const results = layers.map((l) => {
  for (let i = 0; i < 3; i++) l.kernel.run(l.input, l.output);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    l.kernel.run(l.input, l.output);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const ms = median(times);
  return { layer: l.name, ms, gmacs: l.macs / ms / 1e6 };
});
if (json) {
  console.log(JSON.stringify({ engine: refKernels.name, runs, results }));
} else {
  for (const r of results) console.log(`${r.layer.padEnd(36)} ${r.ms.toFixed(2).padStart(8)} ms ${r.gmacs.toFixed(2).padStart(6)} GMAC/s`);
}
