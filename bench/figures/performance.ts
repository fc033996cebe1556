// The README's figures: its Performance section and the device page's idle cost, rendered from
// the recorded runs of the benchmark commands below (docs/figures/benches.json).
import { defaultConfig } from '../../agent/config/definition.js';
import { decodeTable, type DecodeFigures } from './arm-decode.js';
import type { ArmFigures } from './arm-model.js';
import type { BenchRecord } from './bench-record.js';
import { streamTable, type StreamFigures } from './streams.js';
import { commandLine, describeProvenance, type Provenance } from './provenance.js';

/** The commands whose figures the README shows, exactly as they are run. */
export const readmeCommands = {
  compare: commandLine(['npm', 'run', 'bench:compare', '--', '--engines', 'native,js,tflite,onnxruntime,native:*', '--threads', '1,2']),
  lag: 'npm run bench:lag',
  agent: 'npm run bench:agent',
  detector: commandLine(['npm', 'run', 'bench:agent', '--', '--model', 'models/ssd_mobilenet_v1_coco_quant.tflite', '--labels', 'models/coco_labels.txt', '--fps', '5', '--seconds', '40']),
  webIdle: 'node scripts/web-idle-cpu.mjs --rounds 4',
  /** Also kernels/README.md's "Modelled for the Pi". */
  arm: 'npm run bench:arm',
  streams: 'npm run bench:streams',
  armDecode: 'npm run bench:arm-decode',
};

export type Benches = Record<string, BenchRecord>;

interface CompareRow {
  engine: string;
  option: string;
  threads: number;
  medianMs: number;
  maxRssBytes: number;
  vsNative: number;
}

interface CompareFigures {
  nodeBaselineRssBytes: number;
  runs: number;
  results: { model: string; threads: number; rows: CompareRow[] }[];
}

interface LagFigures {
  model: string;
  seconds: number;
  rows: { engine: string; threads: number; inferenceMs: number; lagMs: { p50: number; p99: number; max: number } }[];
}

interface AgentFigures {
  model: string;
  engine: string;
  fps: number;
  seconds: number;
  warmupSeconds: number;
  resultsPerSecond: number;
  resultsMissing: number;
  captureToRecordedMs: { p50: number; p95: number };
  frameToSubscriberMs: { p50: number; p95: number };
  rssMb: { afterWarmup: number; atEnd: number };
}

interface DetectorFigures extends AgentFigures {
  cpuMsPerResult: number;
  objectsPerResult: number;
}

interface WebIdleFigures {
  seconds: number;
  fps: number;
  rounds: number;
  rows: { web: boolean; cpuSeconds: number }[];
  means: { web: boolean; meanCpuSeconds: number; meanPercentOfOneCore: number }[];
}

/** The run of `command`; a document cannot be rendered without it. */
export function benchRun<F>(benches: Benches, command: string): BenchRecord<F> {
  const record = benches[command];
  if (!record) throw new Error(`no recorded run of \`${command}\`: run it, then npm run docs:update`);
  return record as BenchRecord<F>;
}

/** Milliseconds to three significant figures at most. */
export function ms(x: number): string {
  if (x >= 100) return String(Math.round(x));
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const ratio = (x: number): string => (x >= 10 ? `${Math.round(x)}x` : `${x.toFixed(1)}x`);
const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;
const printed = (p: Provenance): string => `_${describeProvenance(p)}_`;

function machineNote(p: Provenance): string {
  return (
    `Measured on a development machine, not on a Raspberry Pi: ${p.cpu}, ${p.cores} cores, a virtual machine that ` +
    'other work shares (the load average is given under each table), so times vary from run to run. Compare ' +
    'engines by their ratios: each table is one run, its engines measured side by side. Under each table: the ' +
    'command that printed it, when, at which commit and on what; `npm run docs:update` puts the last runs of these ' +
    'commands here.'
  );
}

function compareTables(record: BenchRecord<CompareFigures>): string[] {
  const { results, runs, nodeBaselineRssBytes } = record.figures;
  const threadCounts = [...new Set(results.map((r) => r.threads))].sort((a, b) => a - b);
  const oneThread = (model: string, option: string): CompareRow | undefined =>
    results.find((r) => r.model === model && r.threads === 1)?.rows.find((row) => row.option === option);
  const ours = results.find((r) => r.threads === 1)?.rows.find((row) => row.option === 'native');
  const out = [
    '**Inference alone.** Each model through each engine, inference only (no decode, no resize), the same weights',
    `and the same pixels for every engine, median of ${runs} runs after warm-up${runs > 30 ? ' (the TypeScript engine: 30)' : ''},`,
    'each engine in a process of its own. "vs ours" is each engine\'s median over our native engine\'s' +
      (ours ? ` (\`${ours.engine}\`, the kernel path it picks on this CPU; \`native:PATH\` columns force another path)` : '') +
      `; peak RSS is each engine's whole process (a bare Node process: ${mib(nodeBaselineRssBytes)}).`,
  ];
  for (const threads of threadCounts) {
    const mine = results.filter((r) => r.threads === threads);
    const options = [...new Set(mine.flatMap((r) => r.rows.map((row) => row.option)))];
    const label = (option: string): string => {
      const engine = mine.flatMap((r) => r.rows).find((row) => row.option === option)!.engine;
      return option === 'native' ? `ours, ${engine}` : option === 'js' ? 'ours, TypeScript' : engine;
    };
    out.push(
      '',
      threads === 1
        ? 'One thread:'
        : `${threads} threads (\`--threads ${threads}\`; "vs 1 thread" is the speed-up over the same engine's one-thread median):`,
      '',
      `| model | ${options.map(label).join(' | ')} |`,
      `|---|${options.map(() => '---|').join('')}`,
    );
    for (const result of mine) {
      const cells = options.map((option) => {
        const row = result.rows.find((r) => r.option === option);
        if (!row) return option === 'onnxruntime' ? '(no ONNX conversion)' : '(did not run)';
        const time = option === 'native' ? `**${ms(row.medianMs)} ms**` : `${ms(row.medianMs)} ms`;
        const single = oneThread(result.model, option);
        const versus = threads === 1 ? (option === 'native' ? '' : ` (${ratio(row.vsNative)})`) : single ? ` (${ratio(single.medianMs / row.medianMs)} vs 1 thread)` : '';
        return `${time}${versus}, ${mib(row.maxRssBytes)}`;
      });
      out.push(`| ${result.model.replace(/\.tflite$/, '')} | ${cells.join(' | ')} |`);
    }
  }
  out.push('', printed(record.provenance));
  return out;
}

function lagTable(record: BenchRecord<LagFigures>): string[] {
  const { model, seconds, rows } = record.figures;
  return [
    `**The event loop stays free while a model infers.** \`${record.provenance.command}\` infers ${model} back to back on`,
    `the session's worker thread for ${seconds} s per row while a 1 ms timer runs on the event loop:`,
    '',
    '| engine | threads | ms per inference | event-loop lag p50 / p99 / max (ms) |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.engine} | ${r.threads} | ${ms(r.inferenceMs)} | ${ms(r.lagMs.p50)} / ${ms(r.lagMs.p99)} / ${ms(r.lagMs.max)} |`),
    '',
    printed(record.provenance),
  ];
}

function agentTable(record: BenchRecord<AgentFigures>): string[] {
  const f = record.figures;
  const flush = defaultConfig().outbox.flushMilliseconds;
  return [
    `**The agent.** \`${record.provenance.command}\` runs \`edge-agent run --simulate --fps ${f.fps}\` (the sample images, ${f.model},`,
    `${f.engine}) against mosquitto on loopback for ${f.seconds} s, with a QoS 1 subscriber; the first ${f.warmupSeconds} s are left out:`,
    '',
    '| figure | measured |',
    '|---|---|',
    `| results per second (at ${f.fps} fps) | ${f.resultsPerSecond} |`,
    `| results missing at the subscriber | ${f.resultsMissing} |`,
    `| capture to recorded (the results' \`latencyMs.total\`), p50 / p95 | ${ms(f.captureToRecordedMs.p50)} / ${ms(f.captureToRecordedMs.p95)} ms |`,
    `| frame to subscriber (receive time minus the result's \`ts\`), p50 / p95 | ${ms(f.frameToSubscriberMs.p50)} / ${ms(f.frameToSubscriberMs.p95)} ms |`,
    `| agent RSS after warm-up / at the end | ${f.rssMb.afterWarmup} / ${f.rssMb.atEnd} MB |`,
    '',
    'Frame to subscriber includes the outbox\'s write batching: a result is published once it is on disk, and the',
    `outbox writes at most once per \`outbox.flushMilliseconds\` (default ${flush} ms); 0 writes each result at once, at the`,
    'cost of one disk write per result.',
    '',
    printed(record.provenance),
  ];
}

/** The detector on the Pis, as bench:arm models it, and what that leaves out. */
function detectorOnPi(record: BenchRecord<ArmFigures>): string[] {
  const { boards, cores, models } = record.figures;
  const ssd = models.ssd;
  if (!ssd) throw new Error(`\`${record.provenance.command}\` did not model the detector (--models ssd)`);
  const times = cores.map((c) => `${ms(boards[c.board].ssd)} ms on a ${c.label.split(',')[0]}`);
  const head = [...new Set(ssd.notModelled.map((s) => s.operator.replace(/^CUSTOM:/, '')))];
  return [
    `**The detector on a Pi, modelled.** \`${record.provenance.command}\` (kernels/README.md, "Modelled for the Pi")`,
    `puts ${ssd.file.replace(/\.tflite$/, '')}'s steps that run in C (${ssd.modelledSteps} of its ${ssd.steps}: ${ssd.modelled.join(', ')};`,
    `${Math.round((ssd.modelledMacs / ssd.macs) * 100)}% of its MACs) at ${times.slice(0, -1).join(', ')} and ${times[times.length - 1]} per frame,`,
    'single core, as if every load hit L1. Not in these figures: its steps that run in the TypeScript kernels',
    `(${head.join(', ')}). So one core keeps up with at most ${cores.map((c) => `${Math.floor(1000 / boards[c.board].ssd)} fps on a ${c.label.split(',')[0]}`).join(', ')}`,
    'of detections from inference alone; the agent\'s other work per result (the decode and resize, tracking, publishing:',
    'the CPU per result above, less its inference) comes on top, several times slower on a Pi than here.',
    '',
    printed(record.provenance),
  ];
}

function detectorTable(record: BenchRecord<DetectorFigures>): string[] {
  const f = record.figures;
  return [
    `**The agent with the detector.** \`${record.provenance.command}\` runs the same agent with ${f.model} (${f.engine}),`,
    `objects tracked, at ${f.fps} fps for ${f.seconds} s; the first ${f.warmupSeconds} s are left out:`,
    '',
    '| figure | measured |',
    '|---|---|',
    `| results per second (at ${f.fps} fps) | ${f.resultsPerSecond} |`,
    `| results missing at the subscriber | ${f.resultsMissing} |`,
    `| capture to recorded, p50 / p95 | ${ms(f.captureToRecordedMs.p50)} / ${ms(f.captureToRecordedMs.p95)} ms |`,
    `| CPU per result, all the agent's threads | ${ms(f.cpuMsPerResult)} ms |`,
    `| objects per result | ${f.objectsPerResult} |`,
    `| agent RSS after warm-up / at the end | ${f.rssMb.afterWarmup} / ${f.rssMb.atEnd} MB |`,
    '',
    printed(record.provenance),
  ];
}

function streamsTable(record: BenchRecord<StreamFigures>): string[] {
  const f = record.figures;
  return [
    `**Camera streams.** \`${record.provenance.command}\` reads each source as the agent does, ${f.width}x${f.height} at ${f.fps} fps on`,
    'loopback (HTTP MJPEG; RTSP H.264 through ffmpeg, whole or scaled to the model\'s input in the decoder; the stand-in',
    'rpicam-vid as MJPEG and as yuv420 at the model\'s input), newest frame wins, and runs each model back to back,',
    `${f.seconds} s per row. The servers and encoders share this machine with the agent, as a camera would not. The`,
    'decode and the resize run fused in libvips; on one frame afterwards they are timed apart (the whole frame decoded,',
    'then resized) and fused as the agent runs them: the fused path\'s saving is what shrink-on-load and the fusing bring.',
    '"Decoded at" is libvips\' own report of that decode (bench/jpeg-load-scale.ts): sharp has libjpeg decode at a',
    'reduced scale (shrink-on-load) only where the frame is several times the model\'s input in both directions.',
    '',
    ...streamTable(f),
    '',
    'On a Pi the JPEG decode and resize cost more (the next table; the Pi 4 has no hardware JPEG decoder the agent',
    'uses). The yuv420 rows are the path without them: the camera\'s ISP scales to the model\'s input and nothing is',
    'decoded on the CPU. For RTSP, `hardwareDecoding` hands H.264 to the Pi 4\'s `h264_v4l2m2m` and `scale` shrinks in',
    'the decoder.',
    '',
    printed(record.provenance),
  ];
}

/** One camera frame's decode and resize on the Pis, as bench:arm-decode models them. */
function decodeOnPi(record: BenchRecord<DecodeFigures>): string[] {
  const f = record.figures;
  return [
    `**A camera frame's decode on a Pi, modelled.** \`${record.provenance.command}\` runs the agent's JPEG preprocessing in the`,
    `libvips that sharp ships for arm64 (${f.libvips}, libjpeg inside) under qemu-user, counts each executed block and`,
    'times it with llvm-mca on each core, as bench:arm does for the kernels: one core, every load in L1, stock clocks.',
    'The preprocessing rows decode at the scale sharp chooses for the model (shrink-on-load, as "decoded at" above).',
    '',
    ...decodeTable(f),
    '',
    printed(record.provenance),
  ];
}

/** The body of the README's "## Performance" section. */
export function performanceSection(benches: Benches): string {
  const compare = benchRun<CompareFigures>(benches, readmeCommands.compare);
  return [
    machineNote(compare.provenance),
    '',
    ...compareTables(compare),
    '',
    ...lagTable(benchRun<LagFigures>(benches, readmeCommands.lag)),
    '',
    ...agentTable(benchRun<AgentFigures>(benches, readmeCommands.agent)),
    '',
    ...detectorTable(benchRun<DetectorFigures>(benches, readmeCommands.detector)),
    '',
    ...detectorOnPi(benchRun<ArmFigures>(benches, readmeCommands.arm)),
    '',
    ...streamsTable(benchRun<StreamFigures>(benches, readmeCommands.streams)),
    '',
    ...decodeOnPi(benchRun<DecodeFigures>(benches, readmeCommands.armDecode)),
    '',
    '**Per layer**: `node bin/edge-agent bench --model models/mobilenet_v2_1.0_224_quant.tflite` prints each layer\'s',
    'milliseconds and GMAC/s. **Pointwise layers against the core\'s int8 peak**: `make -C kernels/native`, then',
    '`build/c/x64/kernel-bench --path avx512vnni` measures the VNNI peak and each MobileNet pointwise GEMM\'s share of it',
    '(not recorded here).',
    '',
    '**On a Raspberry Pi**: not measured (no Pi here). `npm run bench:arm` models the Pi 3, 4 and 5 from instruction',
    'counts under qemu and llvm-mca\'s models of their cores; kernels/README.md ("Modelled for the Pi") shows its',
    'figures with the command, date and commit, says what the model cannot see (caches, DRAM, throttling), and',
    'gives the commands that time it on a board.',
  ].join('\n');
}

/** The device page's cost with no browser connected, for the README's "Cheap on a Pi" item. */
export function webIdleSentence(benches: Benches): string {
  const record = benchRun<WebIdleFigures>(benches, readmeCommands.webIdle);
  const { seconds, fps, rounds, rows, means } = record.figures;
  const of = (web: boolean): { mean: string; range: string; percent: number } => {
    const cpu = rows.filter((r) => r.web === web).map((r) => r.cpuSeconds);
    const mean = means.find((m) => m.web === web)!;
    return { mean: mean.meanCpuSeconds.toFixed(2), range: `${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)}`, percent: mean.meanPercentOfOneCore };
  };
  const off = of(false);
  const on = of(true);
  const p = record.provenance;
  return (
    `Measured with \`${p.command}\` (the same simulated agent at ${fps} fps, ${rounds} windows of ${seconds} s with the ` +
    `page and ${rounds} without, alternating): ${off.mean} s of CPU per ${seconds} s with the page disabled (${off.range}, ${off.percent}% of one core) and ` +
    `${on.mean} s with it enabled and no browser (${on.range}, ${on.percent}%); printed on ${p.date.slice(0, 10)} at commit ` +
    `${p.commit?.slice(0, 10) ?? '(not recorded)'}${p.dirty ? ' with uncommitted changes' : ''}, ${p.cpu} (${p.cores} cores, load average ${p.loadAverage}), Node ${p.node}.`
  );
}
