#!/usr/bin/env bash
# Workers mode under Node's cluster (tests/workers/node/*.test.js), against
# the built library: `make check-workers-node`. Needs node and the Node
# binding's modules (koffi, express: `tools/deps.sh check`); exits 77
# (skipped) without them.
#
#   HAMS_LIB_DIR=DIR tests/workers/node/run.sh
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
lib="${HAMS_LIB_DIR:-$root/target/release}"
modules="$root/bindings/node/node_modules"
if ! command -v node >/dev/null || [ ! -d "$modules/koffi" ] || [ ! -d "$modules/express" ]; then
    echo "workers-node: SKIP, node, koffi or express missing (tools/deps.sh check installs them)"
    exit 77
fi
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null || true
export HAMS_LIBRARY="$lib/libhams.so.0"
# Each test makes its own primary: one inherited from the caller would be joined instead.
unset HAMS_WORKERS
cd "$root" && exec node --test tests/workers/node/*.test.js
