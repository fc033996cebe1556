// The figures of docs/fleet-scale.md, taken from the same records as docs/reliability.md (the
// fault suite's) and from `npm run bench:agent`, so that the two documents cannot disagree.
// The advice around them is prose kept in docs/fleet-scale.md itself.
import type { BenchRecord } from './bench-record.js';
import { readmeCommands, type Benches, benchRun } from './performance.js';
import { describeProvenance, type Provenance } from './provenance.js';
import { formatValue, type FaultFigures, type TestRecord } from './reliability.js';

/** The record of the fault test of `item` whose name matches `name`. */
function faultTest(faults: FaultFigures, item: string, name: RegExp): TestRecord {
  const found = Object.values(faults.tests).filter((t) => t.item === item && name.test(t.test));
  if (found.length !== 1) throw new Error(`docs/figures/faults.json: ${found.length} tests of item ${item} match ${name} (one needed)`);
  return found[0];
}

/** Figure `name` of a test record; a renamed figure stops the render rather than leaving a stale one. */
function figure(record: TestRecord, name: string | RegExp): string {
  const key = typeof name === 'string' ? (name in record.figures ? name : undefined) : Object.keys(record.figures).find((k) => name.test(k));
  if (key === undefined) throw new Error(`docs/figures/faults.json: "${record.test}" has no figure ${String(name)}`);
  return formatValue(record.figures[key]);
}

const num = (text: string): number => Number(text.replace(/,/g, ''));
const thousands = (x: number): string => Math.round(x).toLocaleString('en-US');
const file = (t: TestRecord): string => `\`${t.provenance.command.split(' ').pop()!.replace(/^test\/faults\//, '')}\``;

interface BrokerPhase {
  devices: number;
  rate: number;
  label: string;
}

/** The synthetic-load phases of the fleet test, read from its figure names ("500 devices x 5 fps (2500 results/s): ..."). */
function brokerPhases(record: TestRecord): BrokerPhase[] {
  const phases = new Map<string, BrokerPhase>();
  for (const key of Object.keys(record.figures)) {
    const m = /^((\d+) devices x \d+ fps \((\d+) results\/s\)): /.exec(key);
    if (m) phases.set(m[1], { label: m[1], devices: Number(m[2]), rate: Number(m[3]) });
  }
  if (phases.size === 0) throw new Error(`docs/figures/faults.json: "${record.test}" has no "N devices x F fps (R results/s): ..." figures`);
  return [...phases.values()].sort((a, b) => a.rate - b.rate);
}

interface AgentFigures {
  resultBytes: { min: number; max: number };
  telemetryBytes: { min: number; max: number } | null;
}

/** What docs/fleet-scale.md shows between its figure markers, by marker. */
export function fleetScaleFigures(faults: FaultFigures, benches: Benches): Record<string, string> {
  const fleet = faultTest(faults, '9', /agent processes at/);
  const broker = faultTest(faults, '9', /^mosquitto alone/);
  const soak = faultTest(faults, '8', /frames/);
  const bridge = faultTest(faults, '10', /bridge/);
  const tls = faultTest(faults, '7', /^TLS only/);
  const acl = faultTest(faults, '7', /credentials against device B/);
  const agent: BenchRecord<AgentFigures> = benchRun<AgentFigures>(benches, readmeCommands.agent);

  const phases = brokerPhases(broker);
  const top = phases[phases.length - 1];
  const phase = (p: BrokerPhase, name: string): string => figure(broker, `${p.label}: ${name}`);
  const topCpu = phase(top, 'mosquitto CPU (% of one core)');
  const topCostMs = num(phase(top, 'mosquitto CPU per 1,000 results (ms)'));

  const agents = num(figure(fleet, /^agents \(/));
  const fps = num(/at (\d+) fps/.exec(fleet.test)![1]);
  const perResultMs = num(figure(fleet, 'agent CPU per result (ms)'));
  const [produced, delivered] = [figure(fleet, 'results produced, whole run'), figure(fleet, 'results delivered (unique)')];
  const [minRate, medianRate] = figure(fleet, 'per-agent rate, min / median (fps)').split(' / ');

  const rows: [string, string, TestRecord][] = [
    [
      `${agents} real agent processes set to ${fps} fps, one mosquitto`,
      `${delivered} of ${produced} results delivered, ${figure(fleet, 'missing')} missing, ${figure(fleet, 'duplicates delivered')} duplicates; ` +
        `the agents reached ${medianRate} fps each (median; slowest ${minRate}): at ${perResultMs} ms of CPU per result, ${agents} agents at ${fps} fps ` +
        `need about ${((agents * fps * perResultMs) / 1000).toFixed(1)} cores, on a machine of ${fleet.provenance.cores} ` +
        `(busy ${figure(fleet, 'whole machine busy over the window (% of all cores)')} %, of which other work ${figure(fleet, 'of which processes outside this test (% of all cores)')} %); ` +
        `frame-to-subscriber latency p50 ${figure(fleet, 'frame to subscriber latency p50 (ms)')} ms / p95 ${figure(fleet, 'frame to subscriber latency p95 (ms)')} ms on that machine; ` +
        `mosquitto ${figure(fleet, 'mosquitto CPU over the window (% of one core)')} % of one core`,
      fleet,
    ],
    ...phases.map((p): [string, string, TestRecord] => [
      `mosquitto alone, ${p.devices} synthetic devices (${thousands(p.rate)} results/s)`,
      `published / delivered ${phase(p, 'results published / delivered')}, ${phase(p, 'duplicates')} duplicates; ` +
        `publish-to-subscriber p50 / p95 ${phase(p, 'publish to subscriber latency p50 / p95 (ms)')} ms; ` +
        `mosquitto ${phase(p, 'mosquitto CPU (% of one core)')} % of one core (${phase(p, 'mosquitto CPU per 1,000 results (ms)')} ms of CPU per 1,000 results, one subscriber)` +
        (p === top ? `; ${figure(broker, 'mosquitto RSS after both phases (MB)')} MB RSS` : ''),
      broker,
    ]),
    [
      `one agent at full speed, ${figure(soak, /^results delivered/)} frames`,
      `RSS growth after warm-up ${figure(soak, 'RSS growth')}; lasting descriptors ${figure(soak, /^lasting descriptors \(not regular files\) after warm-up/)} after warm-up, ` +
        `${figure(soak, /^lasting descriptors at the end/)} at the end; ${figure(soak, 'results per second')} results/s (${figure(soak, 'engine')})`,
      soak,
    ],
    [
      'site broker bridged to a central broker (both TLS, certificates, passwords, per-device ACL), central killed with `kill -9` and restarted',
      `${figure(bridge, 'results at the centre (unique)')} of ${figure(bridge, 'results produced')} results at the centre, ` +
        `${figure(bridge, 'duplicates at the centre')} duplicates; ${figure(bridge, /^results published at the site while the bridge was down/)} results queued at the site ` +
        `were caught up ${figure(bridge, 'restart to caught up (s)')} s after the restart; telemetry published while the bridge was down ` +
        `is lost (${figure(bridge, /^telemetry snapshots from 1 s before the kill/)}, QoS 0, not queued), other telemetry lost: ${figure(bridge, 'telemetry snapshots lost otherwise')}; ` +
        `a command from the centre answered by a site agent: ${figure(bridge, 'command from the centre answered by a site agent')}`,
      bridge,
    ],
    [
      'the shipped security configuration',
      `plain MQTT: ${figure(tls, 'plain mqtt:// to the TLS port')}; no client certificate: ${figure(tls, 'TLS without a client certificate')}; ` +
        `no user name: ${figure(tls, 'certificate, no user name')}; a wrong password: ${figure(tls, 'certificate, wrong password')}; ` +
        `device A's credentials writing to device B's topics: ${figure(acl, 'of them delivered to anyone')} of ${figure(acl, /^writes to device B's topics/)} delivered; ` +
        `device B's messages read with A's credentials: ${figure(acl, 'device B messages received by the rogue client')}`,
      tls,
    ],
  ];
  const sources = new Map<string, Provenance>();
  for (const [, , t] of rows) sources.set(t.provenance.command, t.provenance);
  sources.set(acl.provenance.command, acl.provenance);

  const measured = [
    '| | figure | test |',
    '|---|---|---|',
    ...rows.map(([what, figures, t]) => `| ${what} | ${figures.replace(/\|/g, '\\|')} | ${file(t)} |`),
    '',
    ...[...sources.values()].map((p) => `- _${describeProvenance(p)}_`),
  ].join('\n');

  const bytes = agent.figures.resultBytes;
  const telemetry = agent.figures.telemetryBytes;
  return {
    'fleet-measured': `\n${measured}\n`,
    'broker-cost':
      `${thousands(top.rate)} results/s cost it ${topCpu} % of one core, ${topCostMs} ms of CPU per 1,000 results ` +
      `(one subscriber, small payloads, no TLS on that test's listener): at that cost one core is about ` +
      `${thousands(Math.round(1000 / topCostMs) * 1000)} results/s`,
    'broker-capacity': `measured: ${thousands(top.rate)} results/s took ${topCpu} % of one core`,
    'payload-sizes':
      `${bytes.min}-${bytes.max} bytes (${telemetry ? `a telemetry snapshot: ${telemetry.min}-${telemetry.max} bytes; ` : ''}` +
      `measured by \`${agent.provenance.command}\` on ${agent.provenance.date.slice(0, 10)})`,
  };
}
