#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack` of bindings/node, `npm install`
# of the tarball in an empty directory (koffi from the registry), then a
# CommonJS and an ESM program that start hams and get /hams/alive 200 (libhams
# found by its SONAME on LD_LIBRARY_PATH, no HAMS_LIBRARY), hams/grpc without
# its optional peer dependencies, then `tsc --noEmit`
# of examples/node/typed-example.ts against the installed types (typescript
# from bindings/node's dev dependencies).
#
#   LD_LIBRARY_PATH=target/lib-release tests/bindings/node-package.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tsc="$root/bindings/node/node_modules/.bin/tsc"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $1"; }

(cd "$root/bindings/node" && npm pack --silent --pack-destination "$tmp" >"$tmp/pack.out")
tarball="$tmp/$(tail -1 "$tmp/pack.out")"
contents="$(tar tzf "$tarball" | sort | tr '\n' ' ')"
want="package/README.md package/grpc.d.ts package/grpc.js package/hams.d.ts package/hams.js package/hams.mjs package/metric-vecs.js package/package.json "
[ "$contents" = "$want" ] || { echo "tarball holds: $contents; want: $want" >&2; exit 1; }
ok "npm pack: $(basename "$tarball") holds only the package's files"

mkdir "$tmp/app"
cd "$tmp/app"
echo '{ "name": "hams-package-test", "version": "1.0.0", "private": true }' >package.json
npm install --silent --no-audit --no-fund "$tarball"
[ -d node_modules/hams ] && [ -d node_modules/koffi ]
ok "npm install of the tarball in an empty directory (with koffi)"

# The smoke programs share this check: start, GET /hams/alive, expect 200.
cat >alive.cjs <<'JS'
const http = require('node:http');
module.exports = (Hams, how) => {
  const h = new Hams('package-test', '1.0.0', { address: '127.0.0.1:0' });
  h.start();
  http.get({ host: '127.0.0.1', port: h.port, path: '/hams/alive', agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      h.close();
      if (res.statusCode !== 200) throw new Error(`${how}: /hams/alive answered ${res.statusCode}`);
      console.log(`${how}: /hams/alive 200`);
    });
  });
};
JS
cat >smoke.cjs <<'JS'
const { Hams } = require('hams');
require('./alive.cjs')(Hams, 'require');
JS
cat >smoke.mjs <<'JS'
import { Hams, libraryVersion } from 'hams';
import hams from 'hams';
import alive from './alive.cjs';
if (hams.Hams !== Hams || typeof libraryVersion !== 'string') throw new Error('ESM exports differ from CommonJS');
alive(Hams, 'import');
JS
env -u HAMS_LIBRARY node smoke.cjs | grep -q 'require: /hams/alive 200'
ok "require('hams') starts hams, /hams/alive 200"
env -u HAMS_LIBRARY node smoke.mjs | grep -q 'import: /hams/alive 200'
ok "import { Hams } from 'hams' starts hams, /hams/alive 200"

# hams/grpc without its optional peers: a given setStatus sink works, the default needs grpc-health-check.
cat >grpc.cjs <<'JS'
const { Hams } = require('hams');
const { bridgeHealth } = require('hams/grpc');
const h = new Hams('package-test', '1.0.0', { address: '127.0.0.1:0' });
const shown = {};
bridgeHealth(h, { setStatus: (service, status) => (shown[service] = status) });
let missing = '';
try { bridgeHealth(h); } catch (e) { missing = e.code; }
h.close();
console.log(`${Object.keys(shown).sort().join(',')} ${shown.ready} ${missing}`);
JS
[ "$(env -u HAMS_LIBRARY node grpc.cjs)" = ",alive,ready,startup SERVING MODULE_NOT_FOUND" ]
ok "require('hams/grpc') without the optional peers: a given sink is kept in sync"

# The typed example, as CommonJS (.ts) and as ESM (.mts), against node_modules/hams.
cp "$root/examples/node/typed-example.ts" typed-example.ts
cp "$root/examples/node/typed-example.ts" typed-example.mts
cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "es2022", "module": "node16", "moduleResolution": "node16",
    "lib": ["es2022", "dom"], "types": [], "strict": true, "noEmit": true
  },
  "files": ["typed-example.ts", "typed-example.mts"]
}
JSON
"$tsc" --noEmit -p .
ok "tsc --noEmit of the typed example against the installed package (CommonJS and ESM)"
echo "node-package: $passed passed"
