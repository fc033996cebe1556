// The whole-model TFLite agreement test for scripts/test-arm-node, in plain JavaScript so
// that the arm64 Node runs it under qemu without a TypeScript loader. It loads the built
// code (dist/, arch-independent) and the shared criteria (test/support/agreement.ts,
// compiled by the script). Two steps:
//
//   node scripts/test-arm-node.mjs prepare DIR
//     on the host: decodes every test image into each shipped model's input tensor
//     (sharp has no arm64 binary here) and writes DIR/manifest.json and DIR/inputs/.
//   node scripts/test-arm-node.mjs check DIR --agreement FILE.js --expect-path NAME
//     on the arm64 Node: runs every model on those tensors with the native engine and with
//     TensorFlow Lite (wasm), compares them, prints one line per case and a summary, and
//     exits 1 when any case disagrees or the native engine is not on the expected path.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => pathToFileURL(join(root, 'dist', path)).href;
const modelsDir = join(root, 'models');
const imagesDir = join(root, 'samples');

const TYPED = { uint8: Uint8Array, int8: Int8Array, float32: Float32Array };

async function loadPlan(file) {
  const { loadModelFile } = await import(dist('kernels/tflite/reader.js'));
  const { planModel } = await import(dist('kernels/graph/plan.js'));
  return planModel(await loadModelFile(file));
}

async function prepare(dir) {
  const { imageToTensor } = await import(dist('agent/pipeline/preprocess.js'));
  // The classifiers: their one output is compared whole (the detector's four are not).
  const models = readdirSync(modelsDir).filter((f) => f.endsWith('.tflite') && !f.startsWith('ssd_')).sort();
  const images = readdirSync(imagesDir).sort();
  const manifest = [];
  for (const model of models) {
    const plan = await loadPlan(join(modelsDir, model));
    const { shape, type } = plan.input.tensor;
    if (!TYPED[type]) throw new Error(`${model}: input type ${type} is not handled here`);
    const [, height, width, channels] = shape;
    mkdirSync(join(dir, 'inputs', model), { recursive: true });
    for (const image of images) {
      const tensor = await imageToTensor(join(imagesDir, image), { height, width, channels, type }, image);
      writeFileSync(join(dir, 'inputs', model, `${image}.bin`), new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength));
    }
    manifest.push({ model, type, shape, images });
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  console.log(`prepared ${manifest.length} models x ${images.length} images in ${dir}`);
}

function readTensor(file, type) {
  const bytes = readFileSync(file);
  const copy = new Uint8Array(bytes.length); // aligned, owned memory for the typed view
  copy.set(bytes);
  return new TYPED[type](copy.buffer);
}

async function check(dir, options) {
  const { compareOutputs, agreementFailures, describeAgreement } = await import(pathToFileURL(resolve(options.agreement)).href);
  const { loadNativeKernels, nativeInfo } = await import(dist('kernels/native/index.js'));
  const { Runtime } = await import(dist('kernels/runtime.js'));
  const { TfliteWasmRunner } = await import(dist('bench/peers/tflite-wasm.js'));

  const native = loadNativeKernels();
  if ('error' in native) {
    console.error(`test-arm-node: ${native.error}`);
    return 1;
  }
  const engine = native.kernels.name;
  const info = nativeInfo();
  const paths = info.paths.map((p) => (p.available ? p.name : `${p.name} (not on this CPU)`)).join(', ');
  console.log(`${process.arch} Node ${process.version}, addon for ${info.arch} with ${paths}; engine ${engine}`);
  if (native.path !== options.expectPath) {
    console.error(`test-arm-node: the native engine chose path ${native.path}, expected ${options.expectPath}`);
    return 1;
  }

  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  let passed = 0;
  let failed = 0;
  let nativeMs = 0;
  let tfliteMs = 0;
  for (const { model, type, images } of manifest) {
    const plan = await loadPlan(join(modelsDir, model));
    const runtime = new Runtime(plan, native.kernels);
    const tflite = await TfliteWasmRunner.create(readFileSync(join(modelsDir, model)));
    try {
      for (const image of images) {
        const input = readTensor(join(dir, 'inputs', model, `${image}.bin`), type);
        const t = performance.now();
        tflite.input().set(input);
        tflite.infer();
        const expected = tflite.output();
        const t1 = performance.now();
        const output = runtime.run(input);
        const t2 = performance.now();
        tfliteMs += t1 - t;
        nativeMs += t2 - t1;
        const agreement = compareOutputs(output, expected);
        const failures = agreementFailures(agreement);
        const times = `native ${(t2 - t1).toFixed(0)} ms, tflite ${(t1 - t).toFixed(0)} ms`;
        if (failures.length === 0) {
          passed++;
          console.log(`ok    ${engine} ${model} ${image}: ${describeAgreement(agreement)} (${times})`);
        } else {
          failed++;
          console.log(`FAIL  ${engine} ${model} ${image}: ${failures.join('; ')} (${describeAgreement(agreement)}; ${times})`);
        }
      }
    } finally {
      tflite.close();
    }
  }
  console.log(`engine ${engine}: ${passed} cases agree with TFLite, ${failed} disagree ` +
    `(inference ${(nativeMs / 1000).toFixed(1)} s native, ${(tfliteMs / 1000).toFixed(1)} s tflite)`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    agreement: { type: 'string' },
    'expect-path': { type: 'string' },
  },
});
const [command, dir] = positionals;
if (command === 'prepare' && dir) {
  await prepare(dir);
} else if (command === 'check' && dir && values.agreement && values['expect-path']) {
  process.exitCode = await check(dir, {
    agreement: values.agreement,
    expectPath: values['expect-path'],
  });
} else {
  console.error('usage: test-arm-node.mjs prepare DIR | check DIR --agreement FILE.js --expect-path NAME');
  process.exitCode = 2;
}
