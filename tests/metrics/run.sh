#!/usr/bin/env bash
# Metrics tests: the C tests of the metrics API (tests/metrics/api/) and the
# exposition checks with Prometheus' own tools (check_exposition.py, which
# runs expose.c under promtool, prometheus_client's parsers and a real
# Prometheus server on 127.0.0.1).
#
# Installs nothing. Needs promtool and prometheus (Debian: apt-get install -y
# prometheus) and the Python packages prometheus_client and protobuf (pip
# install prometheus_client protobuf; Debian: python3-prometheus-client
# python3-protobuf); says so and exits 1 when one is missing.
#
# Usage: tests/metrics/run.sh            (from anywhere)
# Env:   CC                   C compiler (default: cc)
#        PYTHON               Python 3 interpreter (default: python3)
#        PROMTOOL, PROMETHEUS the binaries (default: on PATH, else /usr/bin)
#        HAMS_SKIP_BUILD=1    do not run cargo build
#        HAMS_LIB_DIR=DIR     use the libhams.so in DIR (default target/release)
#        HAMS_OUT_DIR=DIR     write the programs and scraped documents to DIR
#                             (default target/metrics-tests)
# Exit code: 0 if everything passed, non-zero otherwise.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/../.." && pwd)"
cd "$root"

CC="${CC:-cc}"
PYTHON="${PYTHON:-python3}"
out="${HAMS_OUT_DIR:-target/metrics-tests}"
lib_dir="${HAMS_LIB_DIR:-target/release}"

# --- prerequisites --------------------------------------------------------
find_bin() { # find_bin VAR NAME: $VAR, else NAME on PATH, else /usr/bin/NAME
    local given="${!1:-}" name="$2"
    if [ -n "$given" ]; then
        command -v "$given" 2>/dev/null || true
    elif command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
    elif [ -x "/usr/bin/$name" ]; then
        echo "/usr/bin/$name"
    fi
}
missing=0
promtool="$(find_bin PROMTOOL promtool)"
prometheus="$(find_bin PROMETHEUS prometheus)"
if [ -z "$promtool" ] || [ -z "$prometheus" ]; then
    echo "error: promtool and prometheus are needed (found: promtool '${promtool}', prometheus '${prometheus}')" >&2
    echo "       install them with: apt-get install -y prometheus   (Debian/Ubuntu; the service need not run)" >&2
    missing=1
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found (set PYTHON to a Python 3 interpreter)" >&2
    missing=1
elif ! "$PYTHON" -c 'import prometheus_client.parser, prometheus_client.openmetrics.parser' >/dev/null 2>&1; then
    echo "error: the Python package prometheus_client is needed by $PYTHON" >&2
    echo "       install it with: $PYTHON -m pip install prometheus_client" >&2
    missing=1
elif ! "$PYTHON" -c 'import google.protobuf' >/dev/null 2>&1; then
    echo "error: the Python package protobuf is needed by $PYTHON (to decode the protobuf scrape)" >&2
    echo "       install it with: $PYTHON -m pip install protobuf" >&2
    missing=1
fi
if [ -z "$(command -v "$CC" 2>/dev/null || true)" ]; then
    echo "error: C compiler $CC not found" >&2
    missing=1
fi
[ "$missing" -eq 0 ] || exit 1
export PROMTOOL="$promtool" PROMETHEUS="$prometheus"

# --- build ----------------------------------------------------------------
if [ "${HAMS_SKIP_BUILD:-0}" != "1" ]; then
    echo "==> cargo build --release" >&2
    cargo build --release >&2
fi
if ! ls "$lib_dir"/libhams.so* >/dev/null 2>&1; then
    echo "error: no libhams.so in $lib_dir" >&2
    exit 2
fi
# The library's SONAME is libhams.so.0: give the loader that name.
[ -e "$lib_dir/libhams.so.0" ] || ln -sf libhams.so "$lib_dir/libhams.so.0"
lib_path="$(cd "$lib_dir" && pwd)"
mkdir -p "$out"

echo "==> compiling tests/metrics/api/, tests/metrics/expose.c" >&2
CC="$CC" HAMS_LIB_DIR="$lib_dir" bash tests/c/build-tests.sh tests/metrics/api "$out/test_metrics" \
    -Wall -Wextra -Wpedantic -Werror
"$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude tests/metrics/expose.c \
    -L"$lib_dir" -lhams -lpthread -o "$out/expose"

export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# --- run ------------------------------------------------------------------
status=0
echo "==> $out/test_metrics" >&2
"$out/test_metrics" || status=1
echo "==> tests/metrics/check_exposition.py" >&2
"$PYTHON" tests/metrics/check_exposition.py "$out/expose" --out "$out" || status=1
exit "$status"
