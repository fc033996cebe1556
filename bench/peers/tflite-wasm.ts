import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Real TensorFlow Lite (the wasm build with XNNPACK and SIMD that @tensorflow/tfjs-tflite
// ships), used as the correctness oracle in tests and the first peer in benchmarks.

interface TensorView {
  data(): Uint8Array | Int8Array | Float32Array;
}
interface TensorList {
  get(i: number): TensorView;
  size(): number;
}
interface ProfileList {
  get(i: number): { nodeType: string };
  size(): number;
  delete(): void;
}
interface WasmRunner {
  GetInputs(): TensorList;
  GetOutputs(): TensorList;
  Infer(): boolean;
  GetProfilingResults(): ProfileList;
  delete(): void;
}
interface StatusOr {
  ok(): boolean;
  errorMessage(): string;
  value(): WasmRunner;
}
interface TfliteModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, len: number, options: Record<string, unknown>): StatusOr;
  };
}
type ModuleFactory = (options: { wasmBinary: Uint8Array; print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<TfliteModule>;

const require = createRequire(import.meta.url);

async function loadFactory(): Promise<{ factory: ModuleFactory; wasm: Uint8Array }> {
  const dir = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
  const script = await readFile(join(dir, 'tflite_web_api_cc_simd.js'), 'utf8');
  // The emscripten build is a browser-style script that defines a global factory.
  const factory = new Function('require', 'process', '__dirname', `${script}\nreturn tflite_web_api_ModuleFactory;`)(
    require,
    process,
    dir,
  ) as ModuleFactory;
  return { factory, wasm: await readFile(join(dir, 'tflite_web_api_cc_simd.wasm')) };
}

let modulePromise: Promise<TfliteModule> | null = null;

function tfliteModule(): Promise<TfliteModule> {
  modulePromise ??= loadFactory().then(({ factory, wasm }) =>
    factory({ wasmBinary: wasm, print: () => {}, printErr: () => {} }),
  );
  return modulePromise;
}

export class TfliteWasmRunner {
  private constructor(private readonly module: TfliteModule, private readonly runner: WasmRunner, private readonly ptr: number) {}

  /** `profile`: record the nodes that infer() runs, for nodesRun(). */
  static async create(model: Uint8Array, threads = 1, profile = false): Promise<TfliteWasmRunner> {
    const module = await tfliteModule();
    const ptr = module._malloc(model.length);
    module.HEAPU8.set(model, ptr);
    const status = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
      numThreads: threads,
      enableProfiling: profile,
      maxProfilingBufferEntries: 1024,
    });
    if (!status.ok()) {
      module._free(ptr);
      throw new Error(`TFLite could not load the model: ${status.errorMessage()}`);
    }
    return new TfliteWasmRunner(module, status.value(), ptr);
  }

  /** An input tensor's memory inside the wasm heap; write the input here before infer(). */
  input(index = 0): Uint8Array | Int8Array | Float32Array {
    return this.runner.GetInputs().get(index).data();
  }

  infer(): void {
    if (!this.runner.Infer()) throw new Error('TFLite inference failed');
  }

  /**
   * The node types that every infer() since create(..., profile = true) ran, in order. A
   * partition that the XNNPACK delegate took is one node, TfLiteXNNPackDelegate; an
   * operator it refused runs TFLite's built-in kernel and appears under its own name.
   */
  nodesRun(): string[] {
    const results = this.runner.GetProfilingResults();
    try {
      return Array.from({ length: results.size() }, (_, i) => results.get(i).nodeType);
    } finally {
      results.delete();
    }
  }

  /** A copy of an output tensor (a detector has four). */
  output(index = 0): Uint8Array | Int8Array | Float32Array {
    return this.runner.GetOutputs().get(index).data().slice();
  }

  close(): void {
    this.runner.delete();
    this.module._free(this.ptr);
  }
}
