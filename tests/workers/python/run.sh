#!/usr/bin/env bash
# Workers mode from Python, against the built library: fork safety (ctypes
# and the compiled fast path), gunicorn with hams.gunicorn's hooks, uvicorn's
# spawned workers with hams.attach() (real servers on 127.0.0.1).
# Exit 77 (skipped) when gunicorn, uvicorn or fastapi is missing
# (`tools/deps.sh check` installs them).
#
#   HAMS_LIB_DIR=target/release HAMS_OUT_DIR=target/workers-python tests/workers/python/run.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
lib="${HAMS_LIB_DIR:-$root/target/release}"
out="${HAMS_OUT_DIR:-$root/target/workers-python}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$out"
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null || true
export HAMS_LIBRARY="$lib/libhams.so.0"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

missing=
for m in gunicorn uvicorn fastapi; do
    "$PYTHON" -c "import $m" 2>/dev/null || missing="$missing $m"
done
if [ -n "$missing" ]; then
    echo "workers-python: SKIP, missing:$missing (tools/deps.sh check installs them)"
    exit 77
fi

# The compiled fast path, built against this library (as tests/bindings/run.sh does).
mkdir -p "$out/pkgconfig"
printf 'Name: hams\nDescription: hams (build tree)\nVersion: 0\nLibs: -L%s -lhams\nCflags: -I%s\n' \
    "$lib" "$root/include" >"$out/pkgconfig/hams.pc"
rm -rf "$out/python-fast"
fast=
if (cd "$root/bindings/python" && PKG_CONFIG_PATH="$out/pkgconfig" "$PYTHON" setup.py -q build \
    --build-base "$out/python-build" --build-lib "$out/python-fast") >"$out/python-fast-build.log" 2>&1 &&
    ls "$out"/python-fast/hams/_fast*.so >/dev/null 2>&1; then
    fast="$out/python-fast"
fi

passed=0 failed=0
run() { # name env... -- the tests run with that environment
    local name="$1"; shift
    if (cd "$here" && env "$@" "$PYTHON" -m unittest -v $tests) >"$out/$name.log" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name: $(grep -E '^Ran [0-9]+ test' "$out/$name.log")"
    else
        failed=$((failed + 1)); echo "FAIL $name (see $out/$name.log)"; tail -40 "$out/$name.log" | sed 's/^/    /'
    fi
}
# ctypes: fork safety only (the servers' tests would only repeat it).
tests="test_fork"
run fork-ctypes HAMS_PYTHON_NO_EXT=1 HAMS_PYTHON_EXPECT=ctypes PYTHONPATH="$root/bindings/python"
tests="test_fork test_gunicorn test_uvicorn"
if [ -n "$fast" ]; then
    run servers-fast HAMS_PYTHON_EXPECT=c-extension PYTHONPATH="$fast:$root/bindings/python"
else
    echo "note: the C fast path did not build (see $out/python-fast-build.log): ctypes only"
    run servers-ctypes HAMS_PYTHON_NO_EXT=1 PYTHONPATH="$root/bindings/python"
fi
echo "workers-python: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
