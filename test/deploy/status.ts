import mqtt from 'mqtt';

export interface StatusWatch {
  /** Payloads published while watching (the retained one sent on subscribing is left out). */
  live: string[];
  /** Resolves once `payload` has arrived live, now or since watching began. */
  seen(payload: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function watchStatus(url: string, topic: string): Promise<StatusWatch> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const live: string[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (_topic, payload, packet) => {
    if (packet.retain) return;
    live.push(payload.toString());
    for (const wake of waiters.splice(0)) wake();
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    live,
    async seen(payload, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!live.includes(payload)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no "${payload}" on ${topic} within ${timeoutMs} ms (saw: ${live.join(', ') || 'nothing'})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => client.endAsync(),
  };
}

/** The retained payload of `topic`, or null when the broker holds none. */
export async function retainedStatus(url: string, topic: string): Promise<string | null> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    const got = new Promise<string>((resolve) =>
      client.on('message', (_t, payload, packet) => packet.retain && resolve(payload.toString())),
    );
    await client.subscribeAsync(topic, { qos: 1 });
    return await Promise.race([got, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
  } finally {
    await client.endAsync();
  }
}
