#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (including the header
# drift check), the C API tests and demo smoke test, and the man-page lint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --release --locked
bash tests/c/run.sh
sh tests/man/check.sh
