#!/usr/bin/env bash
# Workers mode and fork safety from C, against the built library
# (`make check-workers-c`): the C cases of tests/workers/c/api/ (forked
# children with the parent's handle, hams_attach(), gauge aggregation,
# min_ready), then examples/c/prefork.c end to end (prefork_test.py).
#
#   HAMS_LIB_DIR=DIR HAMS_OUT_DIR=DIR tests/workers/c/run.sh
# Env: CC (default cc), PYTHON (default python3), HAMS_PREFORK (the built
# prefork example; compiled into HAMS_OUT_DIR when not given).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
CC="${CC:-cc}"
PYTHON="${PYTHON:-python3}"
lib="${HAMS_LIB_DIR:-target/release}"
out="${HAMS_OUT_DIR:-target/workers-c}"
mkdir -p "$out"
ln -sf libhams.so "$lib/libhams.so.0"
lib="$(cd "$lib" && pwd)"

echo "==> compiling tests/workers/c/api/" >&2
CC="$CC" HAMS_LIB_DIR="$lib" bash tests/c/build-tests.sh tests/workers/c/api "$out/test_workers" \
    -Wall -Wextra -Wpedantic -Werror
prefork="${HAMS_PREFORK:-}"
if [ -z "$prefork" ]; then
    prefork="$out/prefork"
    "$CC" -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/prefork.c -L"$lib" -lhams -o "$prefork"
fi

export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Each case makes its own primary: one inherited from the caller would be joined instead.
unset HAMS_WORKERS
status=0
"$out/test_workers" "$@" || status=1
echo "==> examples/c/prefork.c" >&2
"$PYTHON" "$here/prefork_test.py" "$prefork" || status=1
exit "$status"
