#!/usr/bin/env node
'use strict';
/**
 * Smoke test: libhams loads and serves through ffi-napi (the older FFI
 * addon) as well as through koffi. Prints "ffi-napi: ok" on success.
 *
 *   npm install --ignore-scripts ffi-napi ref-napi   (optional dependencies)
 *   node ffi-napi-smoke.js
 *
 * Their install script (node-gyp-build) aborts: it compiles ffi-napi from
 * source, which fails against Node 20's headers. With --ignore-scripts
 * nothing is compiled, and the prebuilt addons the packages ship (linux-x64,
 * linux-arm64, darwin-x64, win32) are loaded by node-gyp-build at run time;
 * that is all this needs on those platforms. To build the addons from source
 * instead (python3, make and g++ needed):
 *   (cd node_modules/ref-napi && npx node-gyp rebuild)
 *   (cd node_modules/ffi-napi && CXXFLAGS=-fpermissive npx node-gyp rebuild)
 * (-fpermissive: ffi-napi's bundled headers predate Node 20's const napi_env
 * changes). Exits 0 with "ffi-napi: skipped" when the packages are not
 * installed, 1 on failure.
 */

const http = require('node:http');

let ffi;
let ref;
try {
  ffi = require('ffi-napi');
  ref = require('ref-napi');
} catch (e) {
  console.log(`ffi-napi: skipped (${e.code || e.message}; npm install --ignore-scripts ffi-napi ref-napi)`);
  process.exit(0);
}

const names = process.env.HAMS_LIBRARY ? [process.env.HAMS_LIBRARY] : ['libhams.so.0', 'libhams.so'];
const voidPtr = ref.refType(ref.types.void);
const decl = {
  hams_version: ['string', []],
  hams_last_error: ['string', []],
  hams_new: [voidPtr, ['string', 'string']],
  hams_set_address: ['int', [voidPtr, 'string']],
  hams_start: ['int', [voidPtr]],
  hams_port: ['int', [voidPtr]],
  hams_free: ['void', [voidPtr]],
};

let lib;
const errors = [];
for (const name of names) {
  try {
    lib = ffi.Library(name, decl);
    break;
  } catch (e) {
    errors.push(`${name}: ${e.message}`);
  }
}
if (!lib) {
  console.error(`ffi-napi: cannot load libhams: ${errors.join('; ')}`);
  process.exit(1);
}

function fail(what) {
  console.error(`ffi-napi: ${what} failed: ${lib.hams_last_error()}`);
  process.exit(1);
}

const h = lib.hams_new('ffi-napi-smoke', lib.hams_version());
if (h.isNull()) fail('hams_new');
if (lib.hams_set_address(h, '127.0.0.1:0') !== 0) fail('hams_set_address');
if (lib.hams_start(h) !== 0) fail('hams_start');
const port = lib.hams_port(h);
if (port <= 0) fail('hams_port');

const req = http.get({ host: '127.0.0.1', port, path: '/hams/alive', agent: false }, (res) => {
  res.resume();
  res.on('end', () => {
    lib.hams_free(h);
    if (res.statusCode !== 200) {
      console.error(`ffi-napi: GET /hams/alive: expected 200, got ${res.statusCode}`);
      process.exit(1);
    }
    console.log('ffi-napi: ok');
  });
});
req.on('error', (e) => {
  lib.hams_free(h);
  console.error(`ffi-napi: GET /hams/alive: ${e.message}`);
  process.exit(1);
});
req.setTimeout(5000, () => req.destroy(new Error('timeout')));
