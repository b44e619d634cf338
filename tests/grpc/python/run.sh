#!/usr/bin/env bash
# hams.grpc, the gRPC health service kept in sync with hams, against the
# built library: a real grpcio server on 127.0.0.1 and the grpcio health
# stub (Check and Watch). Exit 77 (skipped) when grpcio or
# grpcio-health-checking is missing (`tools/deps.sh check` installs them).
#
#   HAMS_LIB_DIR=target/release HAMS_OUT_DIR=target/grpc-python tests/grpc/python/run.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
lib="${HAMS_LIB_DIR:-$root/target/release}"
out="${HAMS_OUT_DIR:-$root/target/grpc-python}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$out"
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null || true
export HAMS_LIBRARY="$lib/libhams.so.0"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONPATH="$root/bindings/python"

missing=
for m in grpc grpc_health.v1.health google.protobuf; do
    "$PYTHON" -c "import $m" 2>/dev/null || missing="$missing $m"
done
if [ -n "$missing" ]; then
    echo "grpc-python: SKIP, missing:$missing (tools/deps.sh check installs grpcio, grpcio-health-checking, protobuf)"
    exit 77
fi

if (cd "$here" && timeout 120 "$PYTHON" -m unittest -v test_grpc_health) >"$out/grpc-python.log" 2>&1; then
    echo "ok   grpc-python: $(grep -E '^Ran [0-9]+ test' "$out/grpc-python.log")"
    grep -E 'NOT_SERVING .*(after|within)' "$out/grpc-python.log" | sed 's/^ */    /'
else
    echo "FAIL grpc-python (see $out/grpc-python.log)"
    tail -40 "$out/grpc-python.log" | sed 's/^/    /'
    exit 1
fi
