#!/usr/bin/env bash
# gRPC's health service driven by hams' status listener, in C++: builds
# examples/cpp/grpc_health.cpp (bindings/cpp/hams_grpc.hpp) against
# libgrpc++ and libhams, then probes it with grpcio's health stub
# (tests/grpc/cpp/test_health.py). `make check-grpc-cpp` runs it.
#
# Env: CXX (default c++), PYTHON (python3), PKG_CONFIG (pkg-config),
#      HAMS_LIB_DIR (the directory of libhams.so, default target/release),
#      HAMS_OUT_DIR (where the server is built, default target/grpc-cpp).
# Exit: 0 passed, 1 failed, 77 skipped (libgrpc++ or grpcio missing:
# tools/deps.sh check installs them).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
CXX="${CXX:-c++}"
PYTHON="${PYTHON:-python3}"
PKG_CONFIG="${PKG_CONFIG:-pkg-config}"
lib="${HAMS_LIB_DIR:-$root/target/release}"
out="${HAMS_OUT_DIR:-$root/target/grpc-cpp}"

missing=
command -v "$CXX" >/dev/null 2>&1 || missing="$missing $CXX"
"$PKG_CONFIG" --exists grpc++ 2>/dev/null || missing="$missing libgrpc++-dev"
"$PYTHON" -c 'import grpc, grpc_health.v1.health_pb2_grpc' >/dev/null 2>&1 ||
    missing="$missing grpcio/grpcio-health-checking"
if [ -n "$missing" ]; then
    echo "grpc-cpp: SKIP, missing:$missing (tools/deps.sh check installs them)"
    exit 77
fi

mkdir -p "$out"
lib="$(cd "$lib" && pwd)"
# shellcheck disable=SC2046
if ! "$CXX" -std=c++17 -Wall -Wextra -Werror -I"$root/include" -I"$root/bindings/cpp" \
    "$root/examples/cpp/grpc_health.cpp" $("$PKG_CONFIG" --cflags --libs grpc++) \
    -L"$lib" -lhams -lpthread -o "$out/grpc_health"; then
    echo "grpc-cpp: FAIL, examples/cpp/grpc_health.cpp does not build"
    echo "grpc-cpp: 0 passed, 1 failed"
    exit 1
fi
LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$PYTHON" "$here/test_health.py" "$out/grpc_health"
