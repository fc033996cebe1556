// Broker load without the agents' CPU: COUNT MQTT clients in this one process, each
// publishing what an agent publishes (QoS 1 results with its own seq, a result payload
// taken from a real agent; telemetry every 10 s at QoS 0), at FPS for SECONDS, as fast as
// the broker acknowledges, then exiting. Used by fleet-load.test.ts to state mosquitto's
// CPU at a fleet's nominal rate on a machine too small to run that many real agents.
//
//   node synthetic-publishers.mjs URL COUNT FPS SECONDS RESULT_JSON_FILE
//
// Prints one JSON line: {"published": N, "acknowledged": N}.
import { readFileSync } from 'node:fs';
import { connect } from 'mqtt';

const [url, count, fps, seconds, resultFile] = process.argv.slice(2);
const template = JSON.parse(readFileSync(resultFile, 'utf8'));
const devices = Array.from({ length: Number(count) }, (_, i) => `synthetic-${String(i).padStart(3, '0')}`);

const clients = await Promise.all(
  devices.map(
    (device) =>
      new Promise((resolve, reject) => {
        const client = connect(url, { clientId: `edge-agent-${device}`, clean: false, reconnectPeriod: 0 });
        client.once('connect', () => resolve({ device, client, seq: 0 }));
        client.once('error', reject);
      }),
  ),
);

let published = 0;
let acknowledged = 0;
const end = Date.now() + Number(seconds) * 1000;
const timers = clients.map((c, i) => {
  const publish = () => {
    const payload = JSON.stringify({ ...template, seq: c.seq++, ts: new Date().toISOString(), device: c.device });
    published++;
    c.client.publish(`edge/${c.device}/result`, payload, { qos: 1 }, (err) => {
      if (!err) acknowledged++;
    });
  };
  // Spread the devices over the frame interval, as independent devices are.
  const start = setTimeout(() => {
    publish();
    timers[i].interval = setInterval(publish, 1000 / Number(fps));
  }, (i * 1000) / Number(fps) / clients.length);
  const telemetry = setInterval(() => c.client.publish(`edge/${c.device}/telemetry`, JSON.stringify({ ts: new Date().toISOString(), device: c.device, fps: Number(fps) }), { qos: 0 }), 10_000);
  return { start, telemetry, interval: null };
});

await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - Date.now())));
for (const t of timers) {
  clearTimeout(t.start);
  clearInterval(t.interval);
  clearInterval(t.telemetry);
}
await Promise.all(clients.map((c) => c.client.endAsync()));
process.stdout.write(JSON.stringify({ published, acknowledged }) + '\n');
