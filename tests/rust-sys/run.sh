#!/usr/bin/env bash
# Rust over the system library, run by `make check-rust-sys` from the build
# tree:
#  1. make install DESTDIR=<out>/stage: the library, header and hams.pc as a
#     system would have them; pkg-config sees only that hams.pc
#     (PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR), programs load that
#     libhams.so.0 (LD_LIBRARY_PATH);
#  2. bindings/rust-sys (hams-sys): its declarations against include/hams.h,
#     linking through pkg-config, its doc test;
#  3. bindings/rust (hams-system): the safe API over it, its doc examples,
#     and the conformance demo built on it;
#  4. examples/embed-rust: a Rust host embedding CPython (pyo3), Python
#     registering probes on the same hams_t, one libhams in the process;
#  5. rustdoc (-D warnings) on them and the hams crate, which also packages;
#  6. rustfmt and clippy (-D warnings) on the three crates.
# Each crate builds in <out>/cargo. The crates come from crates.io (pyo3,
# pkg-config): this suite is not part of the offline distcheck.
#
# Usage: tests/rust-sys/run.sh --srcdir DIR --libdir DIR --out DIR
# Environment: MAKE, CARGO, PYO3_PYTHON (default: the first of
# /usr/bin/python3, python3 built with a shared libpython).
# Prints one line per step and "rust-sys: N passed, N failed"; exits 77
# (skipped) when no Python with a shared libpython is found and nothing failed.
set -u
export LC_ALL=C

srcdir= libdir= out=
while [ $# -gt 0 ]; do
    case $1 in
        --srcdir) srcdir=$2 ;;
        --libdir) libdir=$2 ;;
        --out) out=$2 ;;
        *) echo "rust-sys: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
for v in srcdir libdir out; do
    [ -n "${!v}" ] || { echo "rust-sys: --$v is missing" >&2; exit 2; }
done
srcdir=$(cd "$srcdir" && pwd)
MAKE=${MAKE:-make}
CARGO=${CARGO:-cargo}

passed=0 failed=0 skipped=0
mkdir -p "$out"
log=$out/step.log
step() { # step NAME COMMAND...: runs it, its output in $log, shown on failure
    local name=$1; shift
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; tail -n 40 "$log" | sed 's/^/    /'
    fi
}

stage=$out/stage
rm -rf "$stage"
step "make install DESTDIR=$stage" $MAKE install DESTDIR="$stage"
export PKG_CONFIG_LIBDIR=$stage$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
unset PKG_CONFIG_PATH HAMS_LIBRARY
export LD_LIBRARY_PATH=$stage$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CARGO_TARGET_DIR=$out/cargo

crates="bindings/rust-sys bindings/rust examples/embed-rust"
cargo_in() { # cargo_in CRATE ARGS...
    local crate=$1; shift
    (cd "$srcdir/$crate" && $CARGO "$@")
}
rustdoc_in() { (cd "$srcdir/$1" && RUSTDOCFLAGS="-D warnings" $CARGO doc --no-deps); }
step "hams-sys: cargo test (header drift, link, doc)" cargo_in bindings/rust-sys test
step "hams-system: cargo test (API over HTTP, doc examples)" cargo_in bindings/rust test
step "hams-system: the conformance demo builds" cargo_in bindings/rust build --example demo

# pyo3 links the libpython of PYO3_PYTHON: one built shared, found at run time.
if [ -z "${PYO3_PYTHON:-}" ]; then
    for py in /usr/bin/python3 python3; do
        if "$py" -c 'import sys, sysconfig; sys.exit(sysconfig.get_config_var("Py_ENABLE_SHARED") != 1)' 2>/dev/null; then
            PYO3_PYTHON=$(command -v "$py"); break
        fi
    done
fi
if [ -n "${PYO3_PYTHON:-}" ]; then
    export PYO3_PYTHON
    pylib=$("$PYO3_PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
    step "embed-rust: cargo test (Rust host, Python plugin, one libhams; $PYO3_PYTHON)" \
        env LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$pylib" sh -c "cd '$srcdir/examples/embed-rust' && $CARGO test"
else
    skipped=1
    echo "SKIP embed-rust: no python3 with a shared libpython (apt-get install python3-dev)"
fi

# The crates' documentation builds without a warning, the hams crate's too,
# and the hams crate packages (what it ships: Cargo.toml's include list).
for crate in . bindings/rust-sys bindings/rust; do
    step "${crate/#./hams}: cargo doc --no-deps (-D warnings)" rustdoc_in "$crate"
done
step "hams: cargo package --no-verify" cargo_in . package --allow-dirty --no-verify --locked
for crate in $crates; do
    step "$crate: cargo fmt --check" cargo_in "$crate" fmt --check
    [ "$crate" = examples/embed-rust ] && [ -z "${PYO3_PYTHON:-}" ] && continue
    step "$crate: cargo clippy --all-targets -- -D warnings" cargo_in "$crate" clippy --all-targets -- -D warnings
done

echo "rust-sys: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
[ "$skipped" -eq 0 ] || exit 77
