// pm2 process file for the agent: a bare `pm2 start` in the install directory finds it by
// this name. CommonJS because pm2 loads it with require(): the package root is CommonJS
// for that reason, and the agent's own code is ES modules (agent/package.json,
// dist/package.json). Deployment and Raspberry Pi set-up: docs/deploy.md.
'use strict';
const { existsSync } = require('node:fs');

// scripts/deploy sets EDGE_AGENT_DIR to the `current` release symlink, so that pm2 keeps that
// path (not one release's real path) and a restart runs whatever `current` points at.
const dir = process.env.EDGE_AGENT_DIR || __dirname;
const config = process.env.EDGE_AGENT_CONFIG || '/etc/edge-agent/config.yaml';
// Passed as a flag rather than left in the environment: `pm2 reload --update-env` replaces
// the arguments but keeps variables that are no longer set, so an old id would stick.
const deviceId = process.env.EDGE_AGENT_DEVICE_ID;

// Checked here as well as by the agent, so that `pm2 start` itself fails with this message
// rather than registering an app that exits 78 at once and stays stopped.
if (!existsSync(config)) {
  throw new Error(
    `edge-agent: no configuration file at ${config}: create it (see config/default.yaml) ` +
      'or point EDGE_AGENT_CONFIG at one',
  );
}

module.exports = {
  apps: [
    {
      name: 'edge-agent',
      cwd: dir,
      script: 'bin/edge-agent',
      args: ['run', '--config', config, ...(deviceId ? ['--device-id', deviceId] : [])],
      // One process: the agent is a single MQTT client with a fixed client id and a retained
      // status. In fork mode `pm2 reload` stops the old process (which publishes `offline`)
      // before starting the new one; cluster mode would overlap two clients with the same id.
      exec_mode: 'fork',
      instances: 1,
      // The agent sends 'ready' once the camera, model and MQTT are up; loading MobileNet on a
      // Pi Zero 2 W takes seconds, so wait well past that before pm2 assumes it is up anyway.
      wait_ready: true,
      listen_timeout: 30_000,
      // On SIGINT the agent finishes the frame in flight, delivers what is outstanding (at most
      // 5 s), publishes `offline` and disconnects (at most 3 s more): SIGKILL only after that.
      kill_timeout: 15_000,
      autorestart: true,
      // Crash loops (broker gone, camera unplugged) back off from 0.5 s up to pm2's 15 s cap
      // instead of restarting flat out; the delay resets once the agent has run for 30 s.
      exp_backoff_restart_delay: 500,
      // 78 is a configuration error and 73 a data directory the agent cannot create or write:
      // restarting cannot fix either, so pm2 leaves the app stopped (`pm2 ls` still says
      // "waiting restart": pm2 sets that before it checks these codes). 75, a data directory in
      // use by another agent, is restarted (with the backoff above) until that one stops.
      stop_exit_codes: [78, 73],
      // pm2 otherwise loads its metrics module into the agent, and that keeps the process alive
      // after a failed start: it would print its configuration error and never exit.
      pmx: false,
      // A Pi Zero 2 W has 512 MB for everything; the agent with MobileNet v2 needs well under
      // half of that, so 300 MB means a leak, and a restart is the cheapest cure.
      max_memory_restart: '300M',
      env: {
        NODE_ENV: 'production',
        // glibc gives each thread that allocates (libvips decoding frames, libuv's pool, the
        // inference worker) its own malloc arena, and freed memory stays scattered in them: the
        // fault suite's soak saw RSS climb past its limit with the default and stay flat with
        // two arenas. Read by glibc at process start, so it is set here, not in the agent.
        MALLOC_ARENA_MAX: '2',
        // V8 sizes the JavaScript heap's limit from the machine's memory and lets garbage pile up
        // in old space long before it collects it there: in the soak the live heap stayed at
        // 24 MB while old space grew from 26 to 45 MB with no full collection, and RSS with it.
        // 128 MB is five times the live heap and makes V8 collect while RSS is still flat. It
        // applies to the inference worker too (a worker thread inherits the flag).
        NODE_OPTIONS: '--max-old-space-size=128',
      },
      // Kept from the agent, which gets what they say as arguments (--config, --device-id):
      // EDGE_AGENT_DIR names no configuration key (the agent would warn about it), and
      // EDGE_AGENT_DEVICE_ID would set device.id, where an old value would stick (see deviceId).
      filter_env: ['EDGE_AGENT_DIR', 'EDGE_AGENT_CONFIG', 'EDGE_AGENT_DEVICE_ID'],
      // Without this pm2 appends the app's id to the log file names (`instances` is set), and
      // every delete/start would leave old files behind on the SD card. pm2 never rotates its
      // logs: pm2-logrotate bounds them (docs/deploy.md). No log_date_format: pino stamps lines.
      merge_logs: true,
    },
  ],
};
