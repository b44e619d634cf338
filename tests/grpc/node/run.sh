#!/usr/bin/env bash
# The Node binding's gRPC health bridge (hams/grpc): a @grpc/grpc-js server
# (server.js) probed by Python's grpcio health client (check.py), against the
# built library: `make check-grpc-node`. Needs node, the Node binding's
# modules (koffi, @grpc/grpc-js, grpc-health-check) and Python's grpcio and
# grpcio-health-checking (`tools/deps.sh check`); exits 77 (skipped) without them.
#
#   HAMS_LIB_DIR=DIR tests/grpc/node/run.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
lib="${HAMS_LIB_DIR:-$root/target/release}"
python="${PYTHON:-python3}"
modules="$root/bindings/node/node_modules"
if ! command -v node >/dev/null || [ ! -d "$modules/koffi" ] || [ ! -d "$modules/@grpc/grpc-js" ] ||
    [ ! -d "$modules/grpc-health-check" ]; then
    echo "grpc-node: SKIP, node, koffi, @grpc/grpc-js or grpc-health-check missing (tools/deps.sh check installs them)"
    exit 77
fi
if ! "$python" -c 'import grpc, grpc_health.v1.health_pb2' >/dev/null 2>&1; then
    echo "grpc-node: SKIP, $python's grpcio or grpcio-health-checking missing (tools/deps.sh check installs them)"
    exit 77
fi
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null || true
export HAMS_LIBRARY="$lib/libhams.so.0"
exec "$python" "$here/check.py" node "$here/server.js"
