#!/usr/bin/env bash
# Builds every language's demo for the conformance kit into target/tck/
# (and the Rust example, the Java classes, the Node modules in place).
# Assumes the library is built in target/release (with its libhams.so.0 link).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p target/tck
ln -sf libhams.so target/release/libhams.so.0
cc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/demo.c -Ltarget/release -lhams -o target/tck/c-demo
c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude examples/cpp/demo.cpp -Ltarget/release -lhams -lpthread -o target/tck/cpp-demo
cargo build --release --locked --example demo
if [ -f examples/java/build.sh ]; then bash examples/java/build.sh; fi
if [ -f examples/node/package.json ]; then (cd examples/node && npm install --ignore-scripts --no-audit --no-fund >/dev/null); fi
