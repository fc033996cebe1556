// The shared mosquitto harness (test/support/mosquitto.ts) that the fault suite reuses.
import { describe, expect, it } from 'vitest';
import { Mosquitto, mosquittoBinary } from '../../support/mosquitto.js';
import { Recorder } from '../../support/recorder.js';

describe('mosquitto harness', () => {
  it('fails loudly when mosquitto cannot be found', () => {
    expect(() => mosquittoBinary({ MOSQUITTO: '/nonexistent/mosquitto' })).toThrow(/MOSQUITTO=\/nonexistent\/mosquitto is not an executable/);
    expect(mosquittoBinary({ PATH: '' })).toMatch(/mosquitto$/); // the Debian package's /usr/sbin/mosquitto
  });

  it('kill -9 and restart keep the port and what was saved: a durable session and retained messages', async () => {
    const broker = await Mosquitto.start();
    try {
      const durable = await Recorder.connect(broker.url, ['harness/queued'], { clientId: 'harness-durable', clean: false, reconnectPeriod: 0 });
      await durable.client.publishAsync('harness/retained', 'kept', { qos: 1, retain: true });
      await durable.close();
      await broker.waitForSave();
      const pid = broker.pid;
      await broker.kill();
      expect(broker.isRunning).toBe(false);
      await broker.restart();
      expect(broker.pid).not.toBe(pid);
      // The offline durable subscriber's queue fills while it is away...
      const publisher = await Recorder.connect(broker.url, []);
      await publisher.client.publishAsync('harness/queued', 'while away', { qos: 1 });
      await publisher.close();
      // ...and is delivered when it comes back; the retained message survived the kill.
      const back = await Recorder.connect(broker.url, ['harness/retained'], { clientId: 'harness-durable', clean: false });
      await back.until((r) => r.on('harness/queued').length === 1 && r.on('harness/retained').length === 1, 'the queued and the retained message');
      await back.close();
    } finally {
      await broker.cleanup();
    }
    expect(broker.isRunning).toBe(false);
  });

  it('reports a broker that cannot start with its output', async () => {
    const first = await Mosquitto.start();
    try {
      await expect(Mosquitto.start({ listeners: [{ port: first.port }] })).rejects.toThrow(/mosquitto exited .* before it listened[\s\S]*Address already in use/);
    } finally {
      await first.cleanup();
    }
  });
});
