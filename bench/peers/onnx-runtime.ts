import { createRequire } from 'node:module';

// ONNX Runtime's native int8 kernels (QLinearConv), the stronger speed peer. Its
// binaries ship inside the npm package; nothing is downloaded.

interface OrtTensor {
  data: ArrayLike<number>;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  InferenceSession: { create(path: string, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: Uint8Array, dims: number[]) => OrtTensor;
  env: { versions: { node: string } };
}

const require = createRequire(import.meta.url);

export class OnnxRuntimeRunner {
  private constructor(private readonly ort: Ort, private readonly session: OrtSession) {}

  /** The onnxruntime-node version that runs, for the figures. */
  get version(): string {
    return this.ort.env.versions.node;
  }

  static async create(file: string, threads = 1): Promise<OnnxRuntimeRunner> {
    const ort = require('onnxruntime-node') as Ort;
    const session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OnnxRuntimeRunner(ort, session);
  }

  /** Runs on an NHWC uint8 input and returns the first output. */
  async run(input: Uint8Array, shape: number[]): Promise<ArrayLike<number>> {
    const feeds = { [this.session.inputNames[0]]: new this.ort.Tensor('uint8', input, shape) };
    const out = await this.session.run(feeds);
    return out[this.session.outputNames[0]].data;
  }
}
