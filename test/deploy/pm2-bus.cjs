// Prints the pm2 daemon's bus events as JSON lines for test/deploy/pm2.ts: pm2 sees an app's
// `ready` only as a message on this bus and keeps no record of it. Runs in its own process so
// that pm2's client (which reads PM2_HOME when loaded) stays out of the test process.
'use strict';
const pm2 = require('pm2');

pm2.connect((err) => {
  if (err) throw err;
  pm2.launchBus((err, bus) => {
    if (err) throw err;
    const print = (kind) => (packet) =>
      console.log(JSON.stringify({ kind, name: packet.process?.name, raw: packet.raw, event: packet.event }));
    bus.on('process:msg', print('msg'));
    bus.on('process:event', print('event'));
    console.log(JSON.stringify({ kind: 'connected' }));
  });
});
process.on('SIGTERM', () => pm2.disconnect(() => process.exit(0)));
