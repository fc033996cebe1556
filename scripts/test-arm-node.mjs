// The whole-model TFLite agreement test for scripts/test-arm-node, in plain JavaScript so
// that the arm64 Node runs it under qemu without a TypeScript loader. It loads the built
// code (dist/, arch-independent) and the shared criteria (test/support/agreement.ts,
// compiled by the script). Two steps:
//
//   node scripts/test-arm-node.mjs prepare DIR
//     on the host: decodes every test image into each shipped model's input tensor
//     (sharp has no arm64 binary here) and writes DIR/manifest.json and DIR/inputs/. For
//     the detector it also runs TensorFlow Lite here and writes its four outputs to
//     DIR/expected/: TFLite's wasm build computes the same on any host, and running it under
//     qemu as well would take minutes for a 300x300 SSD.
//   node scripts/test-arm-node.mjs check DIR --agreement FILE.js --expect-path NAME [--images A,B]
//     on an ARM Node: runs every model on those tensors (of the images named, or all) with the native engine and with
//     TensorFlow Lite (wasm), compares them, prints one line per case and a summary, and
//     exits 1 when any case disagrees or the native engine is not on the expected path.
//     The detector is held to test/agreement/detector-agreement.test.ts's criteria: the
//     same count and classes in the same order, scores within 1/256, boxes within 0.01.
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
  const { detectionInfo } = await import(dist('kernels/model-info.js'));
  const { TfliteWasmRunner } = await import(dist('bench/peers/tflite-wasm.js'));
  const models = readdirSync(modelsDir).filter((f) => f.endsWith('.tflite')).sort();
  const images = readdirSync(imagesDir).sort();
  const manifest = [];
  for (const model of models) {
    const plan = await loadPlan(join(modelsDir, model));
    const detector = detectionInfo({ plan }) !== null;
    const { shape, type } = plan.input.tensor;
    if (!TYPED[type]) throw new Error(`${model}: input type ${type} is not handled here`);
    const [, height, width, channels] = shape;
    mkdirSync(join(dir, 'inputs', model), { recursive: true });
    const tflite = detector ? await TfliteWasmRunner.create(readFileSync(join(modelsDir, model))) : null;
    if (tflite) mkdirSync(join(dir, 'expected', model), { recursive: true });
    try {
      for (const image of images) {
        const tensor = await imageToTensor(join(imagesDir, image), { height, width, channels, type }, image, detector ? { fit: 'fill', kernel: 'nearest' } : undefined);
        writeFileSync(join(dir, 'inputs', model, `${image}.bin`), new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength));
        if (tflite) {
          tflite.input().set(tensor);
          tflite.infer();
          const outputs = [0, 1, 2, 3].map((k) => Array.from(tflite.output(k)));
          writeFileSync(join(dir, 'expected', model, `${image}.json`), JSON.stringify(outputs));
        }
      }
    } finally {
      tflite?.close();
    }
    manifest.push({ model, type, shape, images, detector });
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
  for (const { model, type, images: all, detector } of manifest) {
    const images = options.images ? all.filter((image) => options.images.includes(image)) : all;
    const plan = await loadPlan(join(modelsDir, model));
    const runtime = new Runtime(plan, native.kernels);
    if (detector) {
      for (const image of images) {
        const input = readTensor(join(dir, 'inputs', model, `${image}.bin`), type);
        const expected = JSON.parse(readFileSync(join(dir, 'expected', model, `${image}.json`), 'utf8'));
        const t = performance.now();
        const outputs = runtime.runOutputs(input);
        const ms = performance.now() - t;
        nativeMs += ms;
        const problems = detectionDifferences(outputs, expected);
        if (problems.length === 0) passed++;
        else failed++;
        const n = expected[3][0];
        console.log(`${problems.length === 0 ? 'ok   ' : 'FAIL '} ${engine} ${model} ${image}: ${n} detections, classes ${expected[1].slice(0, n).join(',')}` +
          `${problems.length === 0 ? ', as TFLite' : `: ${problems.join('; ')}`} (native ${ms.toFixed(0)} ms; TFLite's outputs from the host)`);
      }
      continue;
    }
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

/** How a detector's outputs differ from TFLite's: the count, the classes in order, scores within 1/256, boxes within 0.01. */
function detectionDifferences([boxes, classes, scores, count], [eBoxes, eClasses, eScores, eCount]) {
  const n = eCount[0];
  if (count[0] !== n) return [`count ${count[0]}, TFLite ${n}`];
  const problems = [];
  for (let i = 0; i < n; i++) {
    if (classes[i] !== eClasses[i]) problems.push(`detection ${i}: class ${classes[i]}, TFLite ${eClasses[i]}`);
    if (Math.abs(scores[i] - eScores[i]) > 1 / 256) problems.push(`detection ${i}: score ${scores[i]}, TFLite ${eScores[i]}`);
  }
  for (let i = 0; i < 4 * n; i++) {
    if (Math.abs(boxes[i] - eBoxes[i]) > 0.01) problems.push(`box value ${i}: ${boxes[i]}, TFLite ${eBoxes[i]}`);
  }
  return problems;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    agreement: { type: 'string' },
    'expect-path': { type: 'string' },
    images: { type: 'string' },
  },
});
const [command, dir] = positionals;
if (command === 'prepare' && dir) {
  await prepare(dir);
} else if (command === 'check' && dir && values.agreement && values['expect-path']) {
  process.exitCode = await check(dir, {
    agreement: values.agreement,
    expectPath: values['expect-path'],
    images: values.images?.split(','),
  });
} else {
  console.error('usage: test-arm-node.mjs prepare DIR | check DIR --agreement FILE.js --expect-path NAME [--images A,B]');
  process.exitCode = 2;
}
