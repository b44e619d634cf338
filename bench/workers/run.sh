#!/usr/bin/env bash
# bench/workers/run.sh: workers mode under gunicorn, hams against
# prometheus_client's multiprocess mode (bench.py says what it measures);
# `make bench` runs it after bench/run.sh, `make bench-workers` alone.
#
# Needs gunicorn and prometheus_client (`tools/deps.sh check`, or
# --install); the hams Python package's compiled fast path is built against
# the library measured (ctypes when it does not build, and the table says so).
#
# Usage: bench/workers/run.sh [options]
#   --quick          fewer iterations, scrapes and requests (CI): a minute or so
#   --install        pip install gunicorn and prometheus_client first
#   --out DIR        the table also goes to DIR/workers.md (bench/, or
#                    bench/out/ with --quick)
#   --lib-dir DIR    the libhams.so to measure (default: $HAMS_LIB_DIR, as
#                    make bench sets it; else cargo build --release)
#   --keep           keep the work directory
# bench/run.sh's other options (--rounds N, --duration S, ...) are accepted
# and left alone, so that BENCH_ARGS serves both.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quick=0 install=0 keep=0 out="" libdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --install) install=1 ;;
        --out) out="$2"; shift ;;
        --lib-dir) libdir="$2"; shift ;;
        --keep) keep=1 ;;
        --rounds|--duration|--requests|--idle) shift ;;
        --pin|--no-pin|--profile|--no-profile|--no-metrics|--metrics-only) ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench workers: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
log() { printf 'bench workers: %s\n' "$*" >&2; }
if [ "$quick" = 1 ]; then
    : "${out:=$root/bench/out}"
    sizes=(--workers 8 --series 1000 --ops 100000 --rounds 1 --scrapes 5 --requests 200 --max-requests 20)
else
    : "${out:=$root/bench}"
    sizes=(--workers 8 --series 1000 --ops 1000000 --rounds 3 --scrapes 30 --requests 2000 --max-requests 50)
fi

if [ "$install" = 1 ]; then
    for m in gunicorn prometheus_client; do
        python3 -c "import $m" 2>/dev/null && continue
        log "installing: pip install $m"
        python3 -m pip install --quiet --disable-pip-version-check "$m" ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$m" || log "pip install $m failed"
    done
fi
python3 -c 'import gunicorn' 2>/dev/null || { echo "bench workers: gunicorn missing (--install, or tools/deps.sh check)" >&2; exit 1; }
skip_prom=()
python3 -c 'import prometheus_client' 2>/dev/null || { log "prometheus_client missing: its column says n/a"; skip_prom=(--skip-prom); }

work="$(mktemp -d "${TMPDIR:-/tmp}/hams-bench-workers.XXXXXX")"
cleanup() { if [ "$keep" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

[ -n "$libdir" ] || libdir="${HAMS_LIB_DIR:-}"
if [ -z "$libdir" ]; then
    log "cargo build --release"
    (cd "$root" && cargo build --release --quiet)
    libdir="${CARGO_TARGET_DIR:-$root/target}/release"
fi
[ -f "$libdir/libhams.so" ] || { echo "bench workers: no libhams.so in $libdir" >&2; exit 1; }
mkdir -p "$work/lib" "$work/pkgconfig"
cp "$libdir/libhams.so" "$work/lib/libhams.so"
ln -sf libhams.so "$work/lib/libhams.so.0"
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export HAMS_LIBRARY="$work/lib/libhams.so.0"

# The package as users get it: the fast path when it builds.
printf 'Name: hams\nDescription: hams (bench)\nVersion: 0\nLibs: -L%s -lhams\nCflags: -I%s\n' \
    "$work/lib" "$root/include" >"$work/pkgconfig/hams.pc"
pkg="$root/bindings/python"
if (cd "$root/bindings/python" && PKG_CONFIG_PATH="$work/pkgconfig" python3 setup.py -q build \
    --build-base "$work/py-build" --build-lib "$work/py") >"$work/py-build.log" 2>&1 &&
    ls "$work"/py/hams/_fast*.so >/dev/null 2>&1; then
    pkg="$work/py"
else
    log "the C fast path did not build: ctypes (see --keep, py-build.log)"
fi
export PYTHONPATH="$pkg:$root/bindings/python"

mkdir -p "$out"
log "gunicorn, 8 workers: hams workers mode, then prometheus_client multiprocess"
python3 "$here/bench.py" "${sizes[@]}" "${skip_prom[@]+"${skip_prom[@]}"}" --out "$out/workers.md"
