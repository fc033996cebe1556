'use strict';
// The device page. Everything arrives as server-sent events from /events: 'hello' once,
// 'frame' for each classified frame the agent sends (its image is fetched from the URL
// given), 'status' every few seconds. Nothing here polls.

const $ = (id) => document.getElementById(id);
const WINDOW_SECONDS = 300;

function chart(id, title, series) {
  const el = $(id);
  const data = [[], ...series.map(() => [])];
  const plot = new uPlot({
    title,
    width: el.clientWidth || 400,
    height: 150,
    scales: { x: { time: true } },
    series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: true }))],
  }, data, el);
  return { el, plot, data };
}

const charts = {
  latency: chart('chart-latency', 'Latency (ms)', [['inference', '#2563eb'], ['capture to result', '#9333ea']]),
  fps: chart('chart-fps', 'Frames per second', [['results', '#059669'], ['camera stream', '#2563eb']]),
  temp: chart('chart-temp', 'CPU temperature (°C)', [['°C', '#dc2626']]),
};

/** Adds a point at time t (epoch seconds) and drops those older than the window. */
function plot(c, t, ...values) {
  c.data[0].push(t);
  values.forEach((v, i) => c.data[i + 1].push(v ?? null));
  while (c.data[0].length > 0 && c.data[0][0] < t - WINDOW_SECONDS) c.data.forEach((s) => s.shift());
  c.plot.setData(c.data);
}

addEventListener('resize', () => {
  for (const c of Object.values(charts)) c.plot.setSize({ width: c.el.clientWidth, height: 150 });
});

function setText(id, text, state) {
  const el = $(id);
  el.textContent = text;
  if (state !== undefined) el.dataset.state = state;
}

// Frames are fetched as the camera gave them; an older one that arrives late is not shown.
let shownSeq = -1;
let shownUrl = null;

async function showFrame(result) {
  let blob;
  try {
    const res = await fetch(result.frame);
    if (!res.ok) return; // no longer kept: the next event brings a newer one
    blob = await res.blob();
  } catch {
    return;
  }
  if (result.seq <= shownSeq) return;
  shownSeq = result.seq;
  const url = URL.createObjectURL(blob);
  const img = $('frame');
  img.onload = () => {
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = url;
  };
  img.src = url;
  $('figure').dataset.seq = String(result.seq);
  setText('source', result.source);
  setText('seq', `#${result.seq}`);
  const when = $('when');
  when.dateTime = result.ts;
  when.textContent = new Date(result.ts).toLocaleTimeString();
  $('top').replaceChildren(...result.top.map(prediction));
  if (result.objects) showObjects(result.objects);
  plot(charts.latency, Date.parse(result.ts) / 1000, result.latencyMs.inference, result.latencyMs.total);
}

// A detector's frame: its objects' boxes and the zones over the image, the objects listed,
// and the recent events (GET api/events) refreshed with the status.
const SVG = 'http://www.w3.org/2000/svg';
let zones = {};
let detector = false;

function svg(name, attributes, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function showObjects(objects) {
  detector = true;
  $('detector').hidden = false;
  const img = $('frame');
  const draw = () => {
    const [w, h] = [img.naturalWidth, img.naturalHeight];
    const overlay = $('overlay');
    // Matches the image's object-fit: contain, so boxes stay on their objects at any size.
    overlay.setAttribute('viewBox', `0 0 ${w} ${h}`);
    overlay.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const shapes = [];
    for (const [name, points] of Object.entries(zones)) {
      shapes.push(svg('polygon', { class: 'zone', points: points.map(([x, y]) => `${x * w},${y * h}`).join(' ') }));
      shapes.push(svg('text', { class: 'zone-name', x: points[0][0] * w + 4, y: points[0][1] * h + 16 }, name));
    }
    for (const o of objects) {
      const [y0, x0, y1, x1] = o.box;
      shapes.push(svg('rect', { class: 'box', x: x0 * w, y: y0 * h, width: (x1 - x0) * w, height: (y1 - y0) * h, 'data-id': o.id }));
      shapes.push(svg('text', { x: x0 * w + 4, y: Math.max(16, y0 * h - 4) }, `${o.label} ${o.score.toFixed(2)}`));
    }
    overlay.replaceChildren(...shapes);
  };
  if (img.complete && img.naturalWidth > 0) draw();
  else img.addEventListener('load', draw, { once: true });
  $('objects').replaceChildren(...(objects.length === 0 ? [item('none')] : objects.map((o) => item(`${o.label} ${o.score.toFixed(2)} (${o.id})`))));
}

function item(text) {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

async function showEvents() {
  let body;
  try {
    const res = await fetch('api/events');
    if (!res.ok) return;
    body = await res.json();
  } catch {
    return;
  }
  $('recent-events').replaceChildren(...body.events.slice(0, 10).map(({ event, snapshot }) => {
    const li = document.createElement('li');
    li.dataset.id = event.id;
    const picture = document.createElement('img');
    picture.alt = snapshot ? `${event.label} ${event.id}` : 'no picture';
    if (snapshot) picture.src = `api/events/${encodeURIComponent(event.id)}/snapshot`;
    const text = document.createElement('span');
    const zonesText = event.zones.length > 0 ? ` in ${event.zones.join(', ')}` : '';
    text.textContent = `${event.label}${zonesText}: ${event.type}, from ${new Date(event.start).toLocaleTimeString()}${event.end ? ` to ${new Date(event.end).toLocaleTimeString()}` : ''} (best ${event.score.toFixed(2)})`;
    li.append(picture, text);
    return li;
  }));
}

function prediction({ label, score }) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'label';
  name.textContent = label ?? '(no label)';
  const bar = document.createElement('span');
  bar.className = 'bar';
  const fill = document.createElement('span');
  fill.style.width = `${Math.round(score * 100)}%`;
  bar.append(fill);
  const value = document.createElement('span');
  value.className = 'score';
  value.textContent = score.toFixed(3);
  li.append(name, bar, value);
  return li;
}

function showStatus(s) {
  setText('broker', s.broker === null ? 'none (results go to the log)' : s.broker ? 'connected' : 'disconnected', s.broker === false ? 'bad' : 'ok');
  setText('outbox', `${s.outboxDepth} waiting`, s.outboxDepth > 0 ? 'warn' : 'ok');
  setText('engine', s.engine);
  setText('model', `${s.model} (sha256 ${s.modelSha256.slice(0, 12)})`);
  setPaused(s.paused, s.mode);
  setText('fps', s.fps.toFixed(2));
  setText('stream-fps', s.streamFps === null ? 'n/a (one capture per frame)' : `${s.streamFps.toFixed(2)} frames per second`);
  // Dropped frames are the newest-wins rule at work (inference slower than the camera), not a fault.
  setText('dropped', `${s.framesDropped} (newer frames replaced them before decoding)`);
  setText('temp', s.cpuTempC === null ? 'n/a' : `${s.cpuTempC.toFixed(1)} °C`);
  const flags = s.throttled?.flags ?? null;
  setText('throttled', flags === null ? 'n/a (no vcgencmd)' : flags.length === 0 ? 'none' : flags.join(', '), flags?.length ? 'bad' : 'ok');
  const degraded = Object.entries(s.degraded);
  setText('degraded', degraded.length === 0 ? 'none' : degraded.map(([part, why]) => `${part}: ${why}`).join('; '), degraded.length ? 'bad' : 'ok');
  const led = $('led');
  if (s.led === null) led.textContent = 'none';
  else {
    const dot = document.createElement('span');
    dot.className = `led led-${s.led.pattern}`;
    led.replaceChildren(dot, ` ${s.led.pattern}${s.led.simulated ? ' (simulated)' : ''}`);
  }
  plot(charts.fps, s.t, s.fps, s.streamFps);
  plot(charts.temp, s.t, s.cpuTempC);
  if (detector) showEvents();
}

let mode = 'continuous';
function setPaused(paused, newMode = mode) {
  mode = newMode;
  setText('paused', paused ? 'paused' : `yes (${mode})`, paused ? 'warn' : 'ok');
  $('pause').disabled = paused;
  $('resume').disabled = !paused;
}

// The buttons run the same commands as edge/<id>/cmd/<name> on MQTT.
async function command(name) {
  const answer = $('answer');
  answer.textContent = `${name}…`;
  try {
    const res = await fetch(`commands/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `web-${Date.now()}` }),
    });
    const body = await res.json();
    if (!body.ok) answer.textContent = `${name} failed: ${body.error}`;
    else if (name === 'capture') answer.textContent = `captured #${body.seq}: ${body.top[0]?.label ?? 'nothing above the threshold'}`;
    else answer.textContent = `${name}: done`;
    if (typeof body.paused === 'boolean') setPaused(body.paused);
  } catch (err) {
    answer.textContent = `${name} failed: ${err.message}`;
  }
}
for (const name of ['capture', 'pause', 'resume']) $(name).addEventListener('click', () => command(name));

const events = new EventSource('events');
events.addEventListener('open', () => setText('link', 'live', 'ok'));
events.addEventListener('error', () => setText('link', 'reconnecting…', 'bad'));
events.addEventListener('hello', (e) => {
  const hello = JSON.parse(e.data);
  const { device } = hello;
  zones = hello.zones ?? {};
  setText('device', device);
  document.title = `${device} · edge-agent`;
});
events.addEventListener('frame', (e) => showFrame(JSON.parse(e.data)));
events.addEventListener('status', (e) => showStatus(JSON.parse(e.data)));
