#!/usr/bin/env bash
# Builds libhams (release) if needed, compiles the C API tests (tests/c/api/,
# with tests/c/build-tests.sh) and the C demo into target/c-tests/, runs the
# API tests, a short smoke test of the demo, then the shutdown-sequence tests
# (tests/c/shutdown_test.py, python3).
#
# Usage: tests/c/run.sh [CASE...]  (from anywhere; CASE... runs only those
#                                   API test cases)
# Env:   CC            C compiler (default: cc)
#        PYTHON        Python 3 interpreter (default: python3)
#        HAMS_SKIP_BUILD=1     do not run cargo build
#        HAMS_SKIP_DEMO=1      skip the demo smoke test and the shutdown tests
#        HAMS_SKIP_SHUTDOWN=1  skip the shutdown tests only
#        HAMS_LIB_DIR=DIR      use the libhams.so in DIR (default target/release);
#                              `make check` passes its build tree's, with HAMS_SKIP_BUILD=1
#        HAMS_OUT_DIR=DIR      write the test programs to DIR (default target/c-tests)
# Exit code: 0 if everything passed, non-zero otherwise.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/../.." && pwd)"
cd "$root"

CC="${CC:-cc}"
out="${HAMS_OUT_DIR:-target/c-tests}"
lib_dir="${HAMS_LIB_DIR:-target/release}"

if [ "${HAMS_SKIP_BUILD:-0}" != "1" ]; then
    echo "==> cargo build --release" >&2
    cargo build --release >&2
fi

if [ ! -f include/hams.h ]; then
    echo "error: include/hams.h not found (is the crate built?)" >&2
    exit 2
fi
if ! ls "$lib_dir"/libhams.* >/dev/null 2>&1; then
    echo "error: no libhams in $lib_dir" >&2
    exit 2
fi

mkdir -p "$out"
lib_path="$(cd "$lib_dir" && pwd)"
# The library's SONAME is libhams.so.0: give the loader that name in the build tree.
ln -sf libhams.so "$lib_dir/libhams.so.0"

echo "==> compiling tests/c/api/" >&2
CC="$CC" HAMS_LIB_DIR="$lib_dir" bash "$script_dir/build-tests.sh" tests/c/api "$out/test_api" \
    -Wall -Wextra -Wpedantic -Werror

echo "==> compiling examples/c/demo.c" >&2
"$CC" -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/demo.c \
    -L"$lib_dir" -lhams -o "$out/demo"

export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# macOS equivalent, harmless elsewhere.
export DYLD_LIBRARY_PATH="$lib_path${DYLD_LIBRARY_PATH:+:$DYLD_LIBRARY_PATH}"

status=0

echo "==> running C API tests" >&2
"$out/test_api" "$@" || status=$?

if [ "${HAMS_SKIP_DEMO:-0}" != "1" ]; then
    echo "==> demo smoke test" >&2
    bash "$script_dir/demo_smoke.sh" "$out/demo" || {
        echo "demo smoke test FAILED" >&2
        [ "$status" -ne 0 ] || status=1
    }
fi

if [ "${HAMS_SKIP_DEMO:-0}" != "1" ] && [ "${HAMS_SKIP_SHUTDOWN:-0}" != "1" ]; then
    echo "==> shutdown tests" >&2
    PYTHON="${PYTHON:-python3}"
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "shutdown tests FAILED: $PYTHON not found (set PYTHON, or HAMS_SKIP_SHUTDOWN=1)" >&2
        [ "$status" -ne 0 ] || status=1
    else
        "$PYTHON" "$script_dir/shutdown_test.py" "$out/demo" || {
            echo "shutdown tests FAILED" >&2
            [ "$status" -ne 0 ] || status=1
        }
    fi
fi

exit "$status"
