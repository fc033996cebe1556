import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';

/** What update-model is sent (README, "MQTT topics"). */
export interface ModelUpdate {
  url: string;
  sha256: string;
  labels?: string;
  labelsSha256?: string;
}

export interface RolloutOptions {
  prefix: string;
  devices: string[];
  /** Devices updated first; the rest only once every one of them is healthy. 0: no canary. */
  canary: number;
  /** The roll-out stops starting devices after this many failures. */
  maxFailures: number;
  /** Devices updated at once. */
  parallel: number;
  /** How long a device has to answer the command, its download included. */
  answerSeconds: number;
  /** How long a device must stay online afterwards, publishing with the new model, to count as healthy. */
  watchSeconds: number;
}

export interface DeviceOutcome {
  device: string;
  ok: boolean;
  /** What happened, in words: the model it runs now, or why it failed. */
  detail: string;
  seconds: number;
}

export interface RolloutReport {
  outcomes: DeviceOutcome[];
  /** Devices never sent the command, because the roll-out stopped. */
  skipped: string[];
  /** Why it stopped early, or null when every device was tried. */
  stopped: string | null;
}

type Json = Record<string, unknown>;

/** What one device said since its update was sent. */
interface Watch {
  id: string;
  answer: Json | null;
  offline: boolean;
  /** Whether a result or telemetry named the new model, and the other model one named after it, if any. */
  sawNew: boolean;
  revertedTo: string | null;
  changed: () => void;
}

const parse = (payload: Buffer): Json | null => {
  try {
    const value = JSON.parse(payload.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
};

/**
 * Sends update-model to devices of a fleet and watches each one come back healthy on the new
 * model: its answer, then `watchSeconds` online with results or telemetry carrying the new
 * sha256. Canaries go first; the roll-out stops when one of them fails or when failures
 * reach maxFailures. Devices that never got the command keep their model.
 */
export async function rollOutModel(client: MqttClient, update: ModelUpdate, o: RolloutOptions, onOutcome: (outcome: DeviceOutcome) => void): Promise<RolloutReport> {
  const sha256 = update.sha256.toLowerCase();
  const watches = new Map<string, Watch>();
  const filters = ['cmd/update-model/response', 'result', 'telemetry', 'status'].map((t) => `${o.prefix}/+/${t}`);
  const onMessage = (topic: string, payload: Buffer): void => {
    const [device, ...rest] = topic.slice(o.prefix.length + 1).split('/');
    const watch = watches.get(device);
    if (!watch) return;
    const kind = rest.join('/');
    if (kind === 'status') {
      watch.offline = payload.toString() === 'offline';
    } else if (kind === 'cmd/update-model/response') {
      const answer = parse(payload);
      if (answer?.id === watch.id) watch.answer = answer;
    } else {
      const sha = parse(payload)?.modelSha256;
      if (sha === sha256) {
        watch.sawNew = true;
        watch.revertedTo = null;
      } else if (typeof sha === 'string' && watch.sawNew) {
        watch.revertedTo = sha;
      }
    }
    watch.changed();
  };
  client.on('message', onMessage);
  await client.subscribeAsync(filters, { qos: 1 });

  const updateOne = async (device: string): Promise<DeviceOutcome> => {
    const started = Date.now();
    const outcome = (ok: boolean, detail: string): DeviceOutcome => ({ device, ok, detail, seconds: Math.round((Date.now() - started) / 100) / 10 });
    let wake = (): void => {};
    const watch: Watch = { id: `rollout-${randomBytes(6).toString('hex')}`, answer: null, offline: false, sawNew: false, revertedTo: null, changed: () => wake() };
    watches.set(device, watch);
    const until = async (condition: () => boolean, seconds: number): Promise<boolean> => {
      const deadline = Date.now() + seconds * 1000;
      while (!condition()) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return true;
    };
    try {
      await client.publishAsync(`${o.prefix}/${device}/cmd/update-model`, JSON.stringify({ id: watch.id, ...update }), { qos: 1 });
      if (!(await until(() => watch.answer !== null || watch.offline, o.answerSeconds))) return outcome(false, `no answer to update-model within ${o.answerSeconds} s`);
      if (watch.answer === null) return outcome(false, 'went offline before it answered');
      if (watch.answer.ok !== true) return outcome(false, String(watch.answer.error ?? 'refused, without a reason'));
      const answer = watch.answer;
      // Healthy: online throughout, and publishing with the new model by the end.
      await until(() => watch.offline || watch.revertedTo !== null, o.watchSeconds);
      if (watch.offline) return outcome(false, `went offline within ${o.watchSeconds} s of the update`);
      if (watch.revertedTo !== null) return outcome(false, `runs sha256 ${watch.revertedTo.slice(0, 12)} again after the update`);
      if (!watch.sawNew) return outcome(false, `no result or telemetry with the new model within ${o.watchSeconds} s of the update`);
      const warning = typeof answer.warning === 'string' ? `; ${answer.warning}` : '';
      return outcome(true, `runs ${String(answer.model)} (sha256 ${sha256.slice(0, 12)}) on ${String(answer.engine)}${warning}`);
    } finally {
      watches.delete(device);
    }
  };

  const outcomes: DeviceOutcome[] = [];
  const queue = [...o.devices];
  let stopped: string | null = null;
  const failures = (): number => outcomes.filter((r) => !r.ok).length;
  /** Updates the devices of `wave`, at most `parallel` at a time, until a stop. */
  const runWave = async (wave: string[], canaries: boolean): Promise<void> => {
    const workers = Array.from({ length: Math.min(o.parallel, wave.length) }, async () => {
      for (let device = wave.shift(); device !== undefined; device = wave.shift()) {
        if (stopped !== null) {
          wave.unshift(device);
          return;
        }
        const result = await updateOne(device);
        outcomes.push(result);
        onOutcome(result);
        if (!result.ok && canaries) stopped ??= `the canary ${device} failed`;
        if (failures() >= o.maxFailures) stopped ??= `${failures()} device${failures() === 1 ? '' : 's'} failed (--max-failures ${o.maxFailures})`;
      }
    });
    await Promise.all(workers);
  };
  try {
    const canaries = queue.splice(0, o.canary);
    await runWave(canaries, true);
    queue.unshift(...canaries);
    if (stopped === null) await runWave(queue, false);
  } finally {
    client.off('message', onMessage);
    await client.unsubscribeAsync(filters).catch(() => {});
  }
  return { outcomes, skipped: queue, stopped };
}
