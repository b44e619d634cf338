#!/usr/bin/env bash
# bench/metrics/run.sh: hams' metrics against prometheus_client (Python) and
# prom-client (Node), side by side in one run: creating labeled series,
# scraping them, resident and wire bytes per series, probe latency while
# big scrapes run back to back, and ns per metric operation per language.
# bench/run.sh runs it as its last section (--metrics-only: only this).
#
# Peers, installed by --install (or by hand):
#   pip install prometheus_client
#   (cd bench/metrics && npm install --ignore-scripts)   # prom-client, koffi
# A peer that is missing (or fails to install) is left out of the tables,
# with a line saying so, not an error.
#
# Usage: bench/metrics/run.sh [options]
#   --quick          1 round, 1,000 and 10,000 series, 300 probes, fewer
#                    operations: proves the harness in well under a minute
#   --install        pip and npm install the peers first
#   --rounds N       rounds per measurement; medians are reported (3)
#   --sizes "A B"    series counts (10000 100000; 10000 40000 when the
#                    library has no vec API: the labeled fallback is
#                    quadratic; 1000 10000 with --quick)
#   --ops N          iterations per operation timing (1000000; 100000 quick)
#   --requests N     kubelet-style probes per latency measurement (2000)
#   --out DIR        the section goes into DIR/results.md (between its
#                    markers, replacing an older one) when that file
#                    exists, else into DIR/metrics.md (DIR: bench/, or
#                    bench/out/ with --quick)
#   --lib-dir DIR    the libhams.so to measure (default: $HAMS_LIB_DIR, as
#                    make bench sets it; else cargo build --release)
#   --keep           keep the work directory (raw JSON lines, bodies)
#
# The hams C side is written against the vec API (hams_counter_vec_new,
# hams_vec_with); when the library does not export hams_vec_with, it uses
# hams_counter_new_labeled for the series figures and the vec rows say
# "n/a (no vec API in this build)". The Python binding is checked the same
# way (`labelnames` on Hams.counter). Exit status is non-zero only when the
# harness itself fails; missed goals are FAIL rows.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

quick=0 install=0 keep=0
rounds="" sizes="" ops="" requests="" out="" libdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --install) install=1 ;;
        --rounds) rounds="$2"; shift ;;
        --sizes) sizes="$2"; shift ;;
        --ops) ops="$2"; shift ;;
        --requests) requests="$2"; shift ;;
        --out) out="$2"; shift ;;
        --lib-dir) libdir="$2"; shift ;;
        --keep) keep=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench metrics: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    : "${rounds:=1}" "${ops:=100000}" "${requests:=300}" "${out:=$root/bench/out}"
else
    : "${rounds:=3}" "${ops:=1000000}" "${requests:=2000}" "${out:=$root/bench}"
fi
for v in "$rounds" "$ops" "$requests" $sizes; do
    case "$v" in ''|*[!0-9]*) echo "bench metrics: not a number: '$v'" >&2; exit 2 ;; esac
done
[ "$rounds" -ge 1 ] && [ "$rounds" -le 50 ] || { echo "bench metrics: --rounds 1..50" >&2; exit 2; }
[ "$requests" -ge 10 ] && [ "$requests" -le 100000 ] || { echo "bench metrics: --requests 10..100000" >&2; exit 2; }
[ "$ops" -ge 1000 ] || { echo "bench metrics: --ops >= 1000" >&2; exit 2; }

log() { printf 'bench metrics: %s\n' "$*" >&2; }

# ---- tools and peers ----------------------------------------------------------
if [ "$install" = 1 ]; then
    # what is there already is kept (CI runs --install every time)
    if ! python3 -c 'import prometheus_client' 2>/dev/null; then
        log "installing: pip install prometheus_client"
        python3 -m pip install --quiet --disable-pip-version-check prometheus_client ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages prometheus_client ||
            log "pip install prometheus_client failed"
    fi
    if command -v npm >/dev/null && { [ ! -d "$here/node_modules/prom-client" ] || [ ! -d "$here/node_modules/koffi" ]; }; then
        log "installing: npm install (prom-client, koffi) in bench/metrics"
        (cd "$here" && npm install --ignore-scripts --no-audit --no-fund --silent) || log "npm install failed"
    fi
fi
missing=""
for t in cc nm python3 timeout; do command -v "$t" >/dev/null || missing="$missing $t"; done
if [ -n "$missing" ]; then
    echo "bench metrics: missing:$missing (apt-get install -y gcc binutils python3 coreutils)" >&2
    exit 1
fi
have_pyclient=0
python3 -c 'import prometheus_client' 2>/dev/null && have_pyclient=1
[ "$have_pyclient" = 1 ] || log "prometheus_client missing: its rows are left out (--install, or pip install prometheus_client)"
have_node=0 have_promclient=0 have_koffi=0
if command -v node >/dev/null; then
    have_node=1
    [ -f "$here/node_modules/prom-client/package.json" ] && have_promclient=1
    [ -f "$here/node_modules/koffi/package.json" ] && have_koffi=1
fi
[ "$have_promclient" = 1 ] || log "prom-client missing: its rows are left out (--install, or npm install in bench/metrics)"

# ---- work directory, cleanup --------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/hams-bench-metrics.XXXXXX")"
raw="$work/raw"
mkdir -p "$raw" "$work/bin" "$work/lib"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pids=()
    if [ "$keep" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
stop_pid() {
    local p="$1" q=() x
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    for x in "${pids[@]}"; do [ "$x" = "$p" ] || q+=("$x"); done
    pids=("${q[@]+"${q[@]}"}")
}

# ---- the library, its API, the bindings ----------------------------------------
[ -n "$libdir" ] || libdir="${HAMS_LIB_DIR:-}"
if [ -z "$libdir" ]; then
    command -v cargo >/dev/null || { echo "bench metrics: cargo missing (or pass --lib-dir)" >&2; exit 1; }
    log "cargo build --release"
    (cd "$root" && cargo build --release --quiet)
    libdir="${CARGO_TARGET_DIR:-$root/target}/release"
fi
[ -f "$libdir/libhams.so" ] || { echo "bench metrics: no libhams.so in $libdir" >&2; exit 1; }
cp "$libdir/libhams.so" "$work/lib/libhams.so"
ln -sf libhams.so "$work/lib/libhams.so.0"
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export HAMS_LIBRARY="$work/lib/libhams.so"

# the vec API counts when the library exports it and the header declares it
have_vec=0
if nm -D --defined-only "$work/lib/libhams.so" 2>/dev/null | grep -qw hams_vec_with &&
    grep -qw hams_vec_with "$root/include/hams.h"; then
    have_vec=1
fi
api=labeled vec_flag=()
[ "$have_vec" = 1 ] && api=vec vec_flag=(-DHAVE_VEC)
log "library: $libdir/libhams.so; vec API: $([ "$have_vec" = 1 ] && echo yes || echo 'no (labeled fallback)')"

py_binding="" node_binding=""
for d in "$root/bindings/python" "$root/examples/python"; do
    [ -f "$d/hams/__init__.py" ] && { py_binding="$d"; break; }
done
for f in "$root/bindings/node/hams.js" "$root/examples/node/hams.js"; do
    [ -f "$f" ] && { node_binding="$f"; break; }
done
[ -n "$py_binding" ] || log "no Python binding found (bindings/python, examples/python): hams-py rows left out"
# What Python users get: the package with its compiled fast path, built
# against this library (pkg-config hams); ctypes when it does not build.
if [ -f "$py_binding/setup.py" ]; then
    mkdir -p "$work/pkgconfig"
    printf 'Name: hams\nDescription: hams (bench)\nVersion: 0\nLibs: -L%s -lhams\nCflags: -I%s\n' \
        "$work/lib" "$root/include" >"$work/pkgconfig/hams.pc"
    if (cd "$py_binding" && PKG_CONFIG_PATH="$work/pkgconfig" python3 setup.py -q build \
        --build-base "$work/python-build" --build-lib "$work/python-fast") >"$work/python-fast.log" 2>&1 &&
        ls "$work"/python-fast/hams/_fast*.so >/dev/null 2>&1; then
        py_binding="$work/python-fast"
    fi
fi
[ -n "$py_binding" ] && log "Python binding: $py_binding ($(PYTHONPATH="$py_binding" python3 -c 'import hams; print(hams.implementation())' 2>/dev/null || echo unknown))"
have_hams_node=0
[ -n "$node_binding" ] && [ "$have_node" = 1 ] && [ "$have_koffi" = 1 ] && have_hams_node=1
[ "$have_hams_node" = 1 ] || log "Node binding, node or koffi missing: hams-node rows left out"

if [ -z "$sizes" ]; then
    if [ "$quick" = 1 ]; then sizes="1000 10000"
    elif [ "$have_vec" = 1 ]; then sizes="10000 100000"
    else sizes="10000 40000"
    fi
fi
largest="$(printf '%s\n' $sizes | sort -n | tail -1)"

cflags=(-std=c11 -O2 -Wall -Wextra -I"$root/include" -I"$here" "${vec_flag[@]+"${vec_flag[@]}"}")
for prog in series ops; do
    cc "${cflags[@]}" "$here/$prog.c" -L"$work/lib" -lhams -o "$work/bin/$prog"
done
cc "${cflags[@]}" "$here/scraper.c" -o "$work/bin/scraper"
cc -std=c11 -O2 -Wall -Wextra "$root/bench/kubelet.c" -o "$work/bin/kubelet"

# ---- facts --------------------------------------------------------------------
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$root" && git diff --quiet HEAD -- src 2>/dev/null || echo '+local changes')"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "ncpu=$(nproc 2>/dev/null || echo 1)"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "python=$(python3 -c 'import platform; print(platform.python_version())')"
    echo "node=$([ "$have_node" = 1 ] && node --version || echo none)"
    echo "api=$api"
    echo "py_api=$([ -n "$py_binding" ] && PYTHONPATH="$py_binding" python3 -c 'import inspect, hams; print("vec" if "labelnames" in inspect.signature(hams.Hams.counter).parameters else "labeled")' 2>/dev/null || echo none)"
    echo "quick=$quick"
    echo "rounds=$rounds"
    echo "sizes=$sizes"
    echo "ops=$ops"
    echo "requests=$requests"
} >"$raw/meta.txt"

# Runs one measurement (a command printing one JSON line) with a time limit;
# appends "ROUND<TAB>JSON" to a raw file, or a failed record for that side.
record() { # file round side limit_s command...
    local file="$1" round="$2" side="$3" limit="$4" line
    shift 4
    if line="$(timeout -k 5 "$limit" "$@" 2>"$work/last.err" | grep '^{' | head -1)" && [ -n "$line" ]; then
        printf '%s\t%s\n' "$round" "$line" >>"$file"
    else
        log "$side failed or timed out after ${limit} s: $(head -c 300 "$work/last.err" | tr '\n' ' ')"
        printf '%s\t{"impl":"%s","failed":true}\n' "$round" "$side" >>"$file"
    fi
}
export PROMETHEUS_DISABLE_CREATED_SERIES=True # same samples as hams: no _created series
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

# ---- creating and scraping series ---------------------------------------------
: >"$raw/series.tsv"
for r in $(seq 1 "$rounds"); do
    for n in $sizes; do
        body_args=()
        if [ "$r" = 1 ]; then mkdir -p "$raw/bodies-$n"; body_args=(--body-dir "$raw/bodies-$n"); fi
        sides=(hams-c)
        [ -n "$py_binding" ] && sides+=(hams-py)
        [ "$have_pyclient" = 1 ] && sides+=(prometheus_client)
        [ "$have_promclient" = 1 ] && sides+=(prom-client)
        # alternate the order so that drift during a round favours no one
        if [ $((r % 2)) = 0 ]; then
            rev=(); for ((i = ${#sides[@]} - 1; i >= 0; i--)); do rev+=("${sides[i]}"); done; sides=("${rev[@]}")
        fi
        for s in "${sides[@]}"; do
            log "round $r/$rounds: $n series, $s"
            case "$s" in
                hams-c) record "$raw/series.tsv" "$r" "$s" 900 "$work/bin/series" "$n" "$api" --scrapes 3 "${body_args[@]+"${body_args[@]}"}" ;;
                hams-py) record "$raw/series.tsv" "$r" "$s" 900 env PYTHONPATH="$here:$py_binding" python3 "$here/hams_py.py" series "$n" ;;
                prometheus_client) record "$raw/series.tsv" "$r" "$s" 900 env PYTHONPATH="$here" python3 "$here/peers.py" series "$n" --scrapes 3 "${body_args[@]+"${body_args[@]}"}" ;;
                prom-client) record "$raw/series.tsv" "$r" "$s" 900 node "$here/peers.js" series "$n" --scrapes 3 "${body_args[@]+"${body_args[@]}"}" ;;
            esac
        done
    done
done

# ---- ns per operation -----------------------------------------------------------
: >"$raw/ops.tsv"
for r in $(seq 1 "$rounds"); do
    log "round $r/$rounds: ns per operation ($ops iterations each)"
    record "$raw/ops.tsv" "$r" hams-c 300 "$work/bin/ops" "$ops"
    if [ -n "$py_binding" ]; then
        record "$raw/ops.tsv" "$r" hams-py 300 env PYTHONPATH="$here:$py_binding" python3 "$here/hams_py.py" ops "$ops"
    fi
    if [ "$have_pyclient" = 1 ]; then
        record "$raw/ops.tsv" "$r" prometheus_client 300 env PYTHONPATH="$here" python3 "$here/peers.py" ops "$ops"
    fi
    if [ "$have_hams_node" = 1 ]; then
        record "$raw/ops.tsv" "$r" hams-node 300 env NODE_PATH="$here/node_modules" HAMS_NODE_BINDING="$node_binding" \
            node "$here/hams_node.js" ops "$ops"
    fi
    if [ "$have_promclient" = 1 ]; then
        record "$raw/ops.tsv" "$r" prom-client 300 node "$here/peers.js" ops "$ops"
    fi
done

# ---- probe latency while the largest exposition is scraped back to back ---------
log "probe latency: $largest series, $requests kubelet-style probes per measurement, without and with scrapes"
"$work/bin/series" "$largest" "$api" --scrapes 1 --hold 3600 >"$work/hold.out" 2>"$work/hold.err" &
hold_pid=$!; pids+=("$hold_pid")
port=""
for _ in $(seq 1 9000); do # creating the fallback's series can take minutes: at most 15
    port="$(sed -n 's#^serving on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' "$work/hold.out" | head -1)"
    [ -n "$port" ] && break
    kill -0 "$hold_pid" 2>/dev/null || break
    sleep 0.1
done
: >"$raw/probes.tsv"
if [ -z "$port" ]; then
    log "the probe-latency server did not start: $(head -c 300 "$work/hold.err")"
else
    for r in $(seq 1 "$rounds"); do
        o="$(timeout 200 "$work/bin/kubelet" "$port" /hams/alive "$requests" 0 2>/dev/null || true)"
        printf '%s\tidle\t%s\t\n' "$r" "$o" >>"$raw/probes.tsv"
        log "round $r: probes, no scrapes: $(printf '%s' "$o" | tr ' ' '\n' | grep -E '^(ok|p50_us|p99_us)=' | tr '\n' ' ')"
        "$work/bin/scraper" "$port" 600 >"$work/scraper.out" 2>"$work/scraper.err" &
        scraper_pid=$!; pids+=("$scraper_pid")
        sleep 1 # the first scrape is under way
        o="$(timeout 200 "$work/bin/kubelet" "$port" /hams/alive "$requests" 0 2>/dev/null || true)"
        stop_pid "$scraper_pid"
        printf '%s\tscraping\t%s\t%s\n' "$r" "$o" "$(grep '^{' "$work/scraper.out" | head -1)" >>"$raw/probes.tsv"
        log "round $r: probes, scrapes back to back: $(printf '%s' "$o" | tr ' ' '\n' | grep -E '^(ok|p50_us|p99_us)=' | tr '\n' ' ')"
    done
fi
stop_pid "$hold_pid"

# ---- report -----------------------------------------------------------------------
mkdir -p "$out"
python3 "$here/report.py" "$raw" "$work/metrics.md"
if [ -f "$out/results.md" ]; then
    python3 "$here/report.py" --splice "$work/metrics.md" "$out/results.md"
    log "section written into $out/results.md"
else
    cp "$work/metrics.md" "$out/metrics.md"
    log "section written into $out/metrics.md"
fi
cat "$work/metrics.md"
