#!/usr/bin/env node
// npm install's step for the native kernels. They are optional: whatever happens here the
// install goes on, and without them the agent runs its TypeScript engine (doctor says why).
//  1. A build that loads is kept: build/Release from an earlier install, or the prebuilds/
//     that scripts/deploy ships (scripts/build-native.mjs), which need no compiler here.
//  2. Otherwise node-gyp builds them when cc, c++, make and python3 are here, with the Node
//     headers installed beside node when there are some, so that nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingBuildTools, nodeGyp, nodeHeaders, run } from './build-native.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (message) => console.log(`edge-agent: ${message}`);
const slower = 'the TypeScript engine will run instead, far slower';

/**
 * The addon node-gyp-build would load ({ file }), or why there is none ({ why }). It is
 * loaded in a child: a build for another CPU may crash the process that loads it.
 */
function loadable() {
  const probe = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("node-gyp-build").path(process.argv[1]))', root], {
    cwd: root,
    encoding: 'utf8',
  });
  if (probe.status !== 0) return { why: `no prebuilt kernels for linux-${process.arch}` };
  const check = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', probe.stdout], { encoding: 'utf8' });
  if (check.status === 0) return { file: probe.stdout };
  const error = check.stderr.split('\n').find((l) => /Error/.test(l))?.trim() ?? `exit ${check.status}`;
  return { why: `${relative(root, probe.stdout)} does not load here (${error})` };
}

async function main() {
  const found = loadable();
  if (found.file) {
    say(`native kernels: ${relative(root, found.file)}`);
    return;
  }
  const missing = missingBuildTools();
  if (missing.length > 0) {
    say(`the native kernels are not built: ${missing.join(', ')} not found, and ${found.why}; ${slower}.`);
    say('to build them: sudo apt-get install -y build-essential python3, then in this folder: npm run install');
    return;
  }
  let gyp;
  try {
    gyp = nodeGyp();
  } catch (err) {
    say(`the native kernels are not built: ${err.message}; ${slower}.`);
    return;
  }
  const headers = process.env.npm_config_nodedir ? null : nodeHeaders();
  say(`building the native kernels (node-gyp${headers ? `, Node headers from ${headers}` : ''})`);
  const built = await run(process.execPath, [gyp, 'rebuild', ...(headers ? [`--nodedir=${headers}`] : [])], { cwd: root });
  const made = built.code === 0 ? loadable() : {};
  if (made.file) {
    say(`native kernels: ${relative(root, made.file)}`);
    return;
  }
  const lines = built.output.trim().split('\n');
  const cause = lines.find((l) => /gyp (ERR|info) .*(not found|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT)|error:/.test(l));
  say(`the native kernels did not build (node-gyp exit ${built.code}${cause ? `: ${cause.trim()}` : ''}); ${slower}. node-gyp's last lines:`);
  for (const line of lines.slice(-10)) console.log(`  ${line}`);
}

await main();
