#!/usr/bin/env node
// Prints parts of sources.json for binding.gyp and the Makefile (both need plain word lists):
//   sources.cjs common [prefix]            the portable files
//   sources.cjs groups ARCH                the flag groups of ARCH (x64, arm64, arm)
//   sources.cjs files|flags ARCH GROUP [prefix]
'use strict';
const sources = require('./sources.json');
const [what, arch, group, prefixArg] = process.argv.slice(2);
const list = (files, prefix) => files.map((f) => (prefix ?? '') + f).join(' ');
const groups = sources[arch] ?? {};
switch (what) {
  case 'common':
    console.log(list(sources.common, arch));
    break;
  case 'groups':
    console.log(Object.keys(groups).join(' '));
    break;
  case 'files':
    console.log(list(groups[group]?.files ?? [], prefixArg));
    break;
  case 'flags':
    console.log((groups[group]?.flags ?? []).join(' '));
    break;
  default:
    console.error('usage: sources.cjs common|groups|files|flags ...');
    process.exit(2);
}
