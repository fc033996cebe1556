'use strict';
// The fleet view. /events sends 'broker' (the view's own MQTT connection), 'devices'
// (rows that changed; all of them on connect) and 'forgotten' (ids of devices not heard
// from for edge-agent fleet's --forget-after). Nothing here polls.

const $ = (id) => document.getElementById(id);
const fixed = (digits) => (v) => (v === null ? '–' : v.toFixed(digits));
const STATUS_ORDER = { true: 0, null: 1, false: 2 };

// key: what a click sorts by (null sorts last); text: what the cell shows.
const columns = [
  { key: 'id', label: 'Device', sort: (r) => r.id, text: (r) => r.id },
  { key: 'online', label: 'Status', sort: (r) => STATUS_ORDER[r.online], text: (r) => (r.online === null ? 'unknown' : r.online ? 'online' : 'offline') },
  { key: 'label', label: 'Last result', sort: (r) => r.result?.label ?? null, text: (r) => (r.result ? `${r.result.label ?? '(none)'} ${r.result.score === null ? '' : r.result.score.toFixed(2)}` : '–') },
  { key: 'objects', label: 'Objects in view', sort: (r) => (r.objects ? Object.values(r.objects).reduce((a, b) => a + b, 0) : null), text: (r) => (r.objects === null ? '–' : Object.entries(r.objects).map(([label, n]) => `${label} ${n}`).join(', ') || 'none') },
  { key: 'resultTs', label: 'Result at', sort: (r) => r.result?.ts ?? null, text: (r) => (r.result?.ts ? new Date(r.result.ts).toLocaleTimeString() : '–') },
  { key: 'fps', label: 'fps', numeric: true, sort: (r) => r.fps, text: (r) => fixed(2)(r.fps) },
  { key: 'latencyMs', label: 'Latency p50 ms', numeric: true, sort: (r) => r.latencyMs, text: (r) => fixed(1)(r.latencyMs) },
  { key: 'inferenceMs', label: 'Inference p50 ms', numeric: true, sort: (r) => r.inferenceMs, text: (r) => fixed(1)(r.inferenceMs) },
  { key: 'cpuTempC', label: 'CPU °C', numeric: true, sort: (r) => r.cpuTempC, text: (r) => fixed(1)(r.cpuTempC) },
  { key: 'throttled', label: 'Throttling', sort: (r) => r.throttled?.length ?? null, text: (r) => (r.throttled === null ? 'n/a' : r.throttled.join(', ') || 'none') },
  { key: 'outboxDepth', label: 'Outbox', numeric: true, sort: (r) => r.outboxDepth, text: (r) => (r.outboxDepth === null ? '–' : String(r.outboxDepth)) },
  { key: 'health', label: 'Health', sort: (r) => r.health, text: (r) => health(r) },
  { key: 'model', label: 'Model', sort: (r) => r.model, text: (r) => (r.model === null ? '–' : r.modelSha256 ? `${r.model}\n${r.modelSha256.slice(0, 12)}` : r.model) },
  { key: 'version', label: 'Version', sort: (r) => r.version, text: (r) => r.version ?? '–' },
  { key: 'uptimeSeconds', label: 'Up', numeric: true, sort: (r) => r.uptimeSeconds, text: (r) => duration(r.uptimeSeconds) },
];

function duration(seconds) {
  if (seconds === null) return '–';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

function health(r) {
  const parts = Object.entries(r.degraded).map(([part, why]) => `${part}: ${why}`);
  const text = [r.health ?? '–', ...parts].join('; ');
  return r.problem ? `${text} (${r.problem})` : text;
}

const devices = new Map();
// Shown while there is no row, at the start and once every device is forgotten.
const placeholder = $('devices').firstElementChild;
let sortKey = 'id';
let direction = 1;

function compare(a, b) {
  const { sort } = columns.find((c) => c.key === sortKey);
  const x = sort(a);
  const y = sort(b);
  if (x === y) return a.id.localeCompare(b.id);
  if (x === null || x === undefined) return 1;
  if (y === null || y === undefined) return -1;
  return (typeof x === 'string' ? x.localeCompare(y) : x - y) * direction;
}

// Built once: rebuilding it with each batch of rows would replace a button under a click.
$('columns').replaceChildren(...columns.map((c) => {
  const th = document.createElement('th');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = c.label;
  button.addEventListener('click', () => {
    direction = sortKey === c.key ? -direction : 1;
    sortKey = c.key;
    render();
  });
  th.append(button);
  th.dataset.key = c.key;
  if (c.numeric) th.className = 'numeric';
  return th;
}));

function render() {
  for (const th of $('columns').children) {
    th.setAttribute('aria-sort', th.dataset.key === sortKey ? (direction === 1 ? 'ascending' : 'descending') : 'none');
  }
  const rows = [...devices.values()].sort(compare);
  if (rows.length === 0) {
    $('devices').replaceChildren(placeholder);
    $('summary').textContent = '';
    return;
  }
  $('devices').replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.device = r.id;
    tr.dataset.online = r.online === null ? 'unknown' : String(r.online);
    tr.title = [r.modelSha256 && `model sha256 ${r.modelSha256}`, r.engine, r.lastSeen && `last heard ${new Date(r.lastSeen).toLocaleTimeString()}`].filter(Boolean).join(' · ');
    for (const c of columns) {
      const td = document.createElement('td');
      td.dataset.key = c.key;
      td.textContent = c.text(r);
      if (c.numeric) td.className = 'numeric';
      tr.append(td);
    }
    return tr;
  }));
  const online = rows.filter((r) => r.online).length;
  $('summary').textContent = `${rows.length} device${rows.length === 1 ? '' : 's'}, ${online} online`;
}

const events = new EventSource('events');
events.addEventListener('error', () => {
  $('broker').textContent = 'page disconnected, reconnecting…';
  $('broker').dataset.state = 'bad';
});
events.addEventListener('broker', (e) => {
  const b = JSON.parse(e.data);
  $('broker').textContent = b.connected ? `broker ${b.url}` : `broker ${b.url} unreachable${b.error ? `: ${b.error}` : ''}`;
  $('broker').dataset.state = b.connected ? 'ok' : 'bad';
});
events.addEventListener('devices', (e) => {
  for (const row of JSON.parse(e.data)) devices.set(row.id, row);
  render();
});
events.addEventListener('forgotten', (e) => {
  for (const id of JSON.parse(e.data)) devices.delete(id);
  render();
});
render();
