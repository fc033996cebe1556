// `npm run bench:streams`'s figures: what it records, and the table it prints, which the
// README's Performance section shows too.

export interface JpegSplit {
  /** The whole frame decoded. */
  decodeMs: number;
  /** That decoded frame resized to the model's input, as the agent resizes. */
  resizeMs: number;
  /** The agent's preprocessing, decode and resize fused by libvips (with shrink-on-load where it applies). */
  fusedMs: number;
  /** The scale libjpeg decoded the frame at in that preprocessing (1, 2, 4 or 8), as libvips reports it. */
  loadScale: number;
}

export interface StreamRow {
  source: string;
  /** Input shape and file name, e.g. "1x224x224x3 mobilenet_v2_1.0_224_quant". */
  model: string;
  streamFps: number;
  resultsPerSecond: number;
  /** Results per 100 frames of the stream. */
  resultShare: number;
  latencyMs: { p50: number; p95: number };
  cpuMsPerFrame: { capture: number; preprocess: number; inference: number };
  /** The preprocessing of one JPEG frame taken apart; null for raw frames, which are not decoded. */
  jpeg: JpegSplit | null;
  dropped: number;
}

export interface StreamFigures {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  rows: StreamRow[];
}

const modelName = (model: string): string => model.split(' ').pop()!;

/** The figures as a Markdown table, one row per source and model. */
export function streamTable(f: StreamFigures): string[] {
  return [
    `| source | model | stream fps | results/s | share of frames | capture to result p50 / p95 ms | CPU ms per frame: capture program / preprocess / inference | one JPEG frame: decode + resize apart, fused (ms); decoded at | dropped |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...f.rows.map((r) => {
      const jpeg = r.jpeg ? `${r.jpeg.decodeMs} + ${r.jpeg.resizeMs}, ${r.jpeg.fusedMs}; ${r.jpeg.loadScale === 1 ? 'full size' : `1/${r.jpeg.loadScale}`}` : 'none (raw frames)';
      return `| ${r.source} | ${modelName(r.model)} | ${r.streamFps} | ${r.resultsPerSecond} | ${r.resultShare} % | ${r.latencyMs.p50} / ${r.latencyMs.p95} | ${r.cpuMsPerFrame.capture} / ${r.cpuMsPerFrame.preprocess} / ${r.cpuMsPerFrame.inference} | ${jpeg} | ${r.dropped} |`;
    }),
  ];
}
