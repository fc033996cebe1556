// config/mosquitto/mosquitto.conf where people put it: /etc/mosquitto/conf.d/, included by
// the main /etc/mosquitto/mosquitto.conf of Debian and Raspberry Pi OS, which already sets
// persistence, its folder and a log file. The main file is this machine's real one (from
// the mosquitto package), with only its paths moved into the test's folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, test } from 'vitest';
import { clientTls, secret, shippedDir, shippedFile } from '../faults/fleet-support.js';
import { createTestPki, freePort, Mosquitto, passwordLine, persistenceSaved } from '../support/mosquitto.js';

const debianMain = '/etc/mosquitto/mosquitto.conf';

/** `text` with each `from` replaced; every `from` must occur, so that a changed file fails here. */
function replaced(text: string, replacements: [string, string][], name: string): string {
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${name} no longer contains ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

describe('the shipped mosquitto.conf as a conf.d snippet of Debian\'s mosquitto.conf', () => {
  let work: string | undefined;
  let broker: Mosquitto | undefined;

  afterAll(async () => {
    await broker?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('mosquitto starts, a device logs in with its certificate and password, and persistence goes where the main file says', async () => {
    if (!existsSync(debianMain)) {
      const why = `${debianMain} is missing: this test needs Debian's mosquitto package (apt-get install mosquitto)`;
      if (process.env.CI === 'true') throw new Error(why);
      console.warn(`\n*** SKIPPED: ${why} ***\n`);
      return;
    }
    work = mkdtempSync(join(tmpdir(), 'edge-agent-conf-d-'));
    for (const d of ['pki', 'conf.d', 'data', 'log']) mkdirSync(join(work, d));
    const pki = createTestPki(join(work, 'pki'), ['cam-1']);
    const password = secret('cam-1');
    writeFileSync(join(work, 'passwd'), `${passwordLine('cam-1', password)}\n`, { mode: 0o600 });
    const port = await freePort();

    writeFileSync(join(work, 'conf.d', 'edge-agent.conf'), shippedFile('mosquitto.conf', [
      ['/etc/mosquitto/passwd', join(work, 'passwd')],
      ['/etc/mosquitto/acl', join(shippedDir, 'acl')],
      ['listener 8883', `listener ${port} 127.0.0.1`],
      ['/etc/mosquitto/certs/ca.crt', pki.ca],
      ['/etc/mosquitto/certs/server.crt', pki.server.cert],
      ['/etc/mosquitto/certs/server.key', pki.server.key],
      // The harness learns that mosquitto is up from its stderr.
      ['log_dest syslog', 'log_dest stderr'],
    ]).join('\n'));
    const main = replaced(readFileSync(debianMain, 'utf8'), [
      ['/run/mosquitto/mosquitto.pid', join(work, 'mosquitto.pid')],
      ['/var/lib/mosquitto/', `${join(work, 'data')}/`],
      ['/var/log/mosquitto/mosquitto.log', join(work, 'log', 'mosquitto.log')],
      ['/etc/mosquitto/conf.d', join(work, 'conf.d')],
    ], debianMain);
    const saved = persistenceSaved(join(work, 'data'), 15_000);
    broker = await Mosquitto.start({ listeners: [], persistence: false, allowAnonymous: false, extraConfig: main.split('\n') });

    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { reconnectPeriod: 0, ...clientTls(pki, 'cam-1', password) });
    await client.publishAsync('edge/cam-1/status', 'online', { qos: 1, retain: true });
    await client.endAsync();
    await saved;
    expect(existsSync(join(work, 'data', 'mosquitto.db'))).toBe(true);
  }, 60_000);
});
