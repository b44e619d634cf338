#!/usr/bin/env bash
# bench/run.sh: hams against nginx, the footprint of a started hams_t, and
# (last section, bench/metrics/run.sh) hams' metrics against prometheus_client
# and prom-client.
# The method and the last full results are in docs/performance.md.
#
# Tools (Debian 12), installed by `bench/run.sh --install` or by hand:
#   apt-get update
#   apt-get install -y nginx wrk gnuplot-nox linux-perf
# plus what building hams needs anyway: cc, cargo, python3 (all on the
# project's machines). linux-perf is only used to profile (--profile, or a
# full run that misses a throughput or latency target).
#
# Usage: bench/run.sh [options]
#   --quick          1 round of 2 s runs, fewer requests, 1 s idle: proves
#                    the harness works (CI); results go to bench/out/
#   --install        apt-get the tools above first
#   --rounds N       interleaved rounds (hams, demo, nginx) per scenario (5)
#   --duration S     seconds per wrk run (10)
#   --requests N     kubelet-style probes per series (2000)
#   --idle S         seconds of each idle wake-up measurement (10)
#   --out DIR        where results.md and chart.png go (bench/, or
#                    bench/out/ with --quick)
#   --lib-dir DIR    use the libhams.so in DIR (default: $HAMS_LIB_DIR, as
#                    make bench sets it; else cargo build --release)
#   --pin            pin servers to CPU 1 and clients to CPU 0 (off by
#                    default: on a shared machine, a pinned server must
#                    share its CPU with whatever else runs there, which
#                    added milliseconds to p99 here)
#   --profile        profile hams under load with perf even if all targets
#                    pass; --no-profile never does
#   --keep           keep the work directory (raw wrk output, logs)
#   --no-metrics     leave out the last section, the metrics benchmarks
#                    (bench/metrics/run.sh: hams against prometheus_client
#                    and prom-client; reduced with --quick)
#   --metrics-only   run only that section (passing --quick, --install,
#                    --rounds, --requests, --out, --lib-dir, --keep)
#
# All traffic goes to 127.0.0.1. Every wait is bounded in count and time;
# servers this script starts are stopped when it exits. Missed targets are
# reported as FAIL in the summary; the exit status is non-zero only when the
# harness itself fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

quick=0 install=0 pin=0 profile=auto keep=0 metrics=yes
rounds="" duration="" requests="" idle="" out="" libdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --install) install=1 ;;
        --rounds) rounds="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --requests) requests="$2"; shift ;;
        --idle) idle="$2"; shift ;;
        --out) out="$2"; shift ;;
        --lib-dir) libdir="$2"; shift ;;
        --pin) pin=1 ;;
        --no-pin) pin=0 ;;
        --profile) profile=yes ;;
        --no-profile) profile=no ;;
        --keep) keep=1 ;;
        --no-metrics) metrics=no ;;
        --metrics-only) metrics=only ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
# the metrics section gets only what was asked for: it has defaults of its own
metrics_args=()
[ "$quick" = 1 ] && metrics_args+=(--quick)
[ "$install" = 1 ] && metrics_args+=(--install)
[ "$keep" = 1 ] && metrics_args+=(--keep)
[ -n "$rounds" ] && metrics_args+=(--rounds "$rounds")
[ -n "$requests" ] && metrics_args+=(--requests "$requests")
if [ "$metrics" = only ]; then
    [ -n "$out" ] && metrics_args+=(--out "$out")
    [ -n "$libdir" ] && metrics_args+=(--lib-dir "$libdir")
    exec bash "$here/metrics/run.sh" "${metrics_args[@]+"${metrics_args[@]}"}"
fi
if [ "$quick" = 1 ]; then
    : "${rounds:=1}" "${duration:=2}" "${requests:=300}" "${idle:=1}" "${out:=$here/out}"
    starts=5 idle_conns=1000
else
    : "${rounds:=5}" "${duration:=10}" "${requests:=2000}" "${idle:=10}" "${out:=$here}"
    starts=20 idle_conns=1000
fi
for v in "$rounds" "$duration" "$requests" "$idle"; do
    case "$v" in ''|*[!0-9]*) echo "bench: not a number: '$v'" >&2; exit 2 ;; esac
done
[ "$rounds" -ge 1 ] && [ "$rounds" -le 50 ] || { echo "bench: --rounds 1..50" >&2; exit 2; }
[ "$duration" -ge 1 ] && [ "$duration" -le 300 ] || { echo "bench: --duration 1..300" >&2; exit 2; }
[ "$idle" -ge 1 ] && [ "$idle" -le 300 ] || { echo "bench: --idle 1..300" >&2; exit 2; }
[ "$requests" -ge 10 ] && [ "$requests" -le 100000 ] || { echo "bench: --requests 10..100000" >&2; exit 2; }

log() { printf 'bench: %s\n' "$*" >&2; }

# ---- tools ------------------------------------------------------------------
apt_packages="nginx wrk gnuplot-nox linux-perf"
if [ "$install" = 1 ]; then
    log "installing: apt-get install -y $apt_packages"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y $apt_packages
fi
nginx_bin="$(command -v nginx || true)"
[ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } || true
missing=""
[ -n "$nginx_bin" ] || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v cc >/dev/null || missing="$missing cc(gcc)"
command -v python3 >/dev/null || missing="$missing python3"
command -v strip >/dev/null || missing="$missing strip(binutils)"
if [ -n "$missing" ]; then
    echo "bench: missing:$missing" >&2
    echo "bench: install with: apt-get update && apt-get install -y $apt_packages gcc binutils python3" >&2
    echo "bench: (or run bench/run.sh --install)" >&2
    exit 1
fi
have_gnuplot=0; command -v gnuplot >/dev/null && have_gnuplot=1
[ "$have_gnuplot" = 1 ] || log "gnuplot missing: no chart (apt-get install -y gnuplot-nox)"
have_perf=0
if command -v perf >/dev/null && perf record -e cpu-clock -o /dev/null -q -- true >/dev/null 2>&1; then
    have_perf=1
fi

# ---- work directory, cleanup ------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/hams-bench.XXXXXX")"
raw="$work/raw"
mkdir -p "$raw" "$work/bin" "$work/lib" "$work/nginx/logs"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        # bounded: a server that ignores TERM for 5 s gets KILL
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pids=()
    if [ "$keep" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
stop_pid() { # stop one server this script started
    local p="$1" q=()
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    for x in "${pids[@]}"; do [ "$x" = "$p" ] || q+=("$x"); done
    pids=("${q[@]+"${q[@]}"}")
}

# 1000 idle connections and wrk need descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "descriptors: $(ulimit -n)"

# CPU pinning (--pin): servers on CPU 1, clients on CPU 0, with two CPUs.
srv_run=() cli_run=()
ncpu="$(nproc 2>/dev/null || echo 1)"
if [ "$pin" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
    srv_run=(taskset -c 1) cli_run=(taskset -c 0)
else
    pin=0
fi

# ---- build ------------------------------------------------------------------
# `make bench` passes the relinked library's directory in HAMS_LIB_DIR.
[ -n "$libdir" ] || libdir="${HAMS_LIB_DIR:-}"
if [ -z "$libdir" ]; then
    command -v cargo >/dev/null || { echo "bench: cargo missing (or pass --lib-dir)" >&2; exit 1; }
    log "cargo build --release"
    (cd "$root" && cargo build --release --quiet)
    libdir="${CARGO_TARGET_DIR:-$root/target}/release"
fi
[ -f "$libdir/libhams.so" ] || { echo "bench: no libhams.so in $libdir" >&2; exit 1; }
cp "$libdir/libhams.so" "$work/lib/libhams.so"
ln -sf libhams.so "$work/lib/libhams.so.0"
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cflags=(-std=c11 -O2 -Wall -Wextra -I"$root/include")
for prog in server kubelet footprint; do
    cc "${cflags[@]}" "$here/$prog.c" -L"$work/lib" -lhams -o "$work/bin/$prog"
done
cc "${cflags[@]}" "$root/examples/c/demo.c" -L"$work/lib" -lhams -o "$work/bin/demo"
kubelet="$work/bin/kubelet"

# ---- facts about this run ---------------------------------------------------
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$root" && git diff --quiet HEAD -- src 2>/dev/null || echo '+local changes')"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "ncpu=$ncpu"
    echo "kernel=$(uname -r)"
    echo "nginx=$("$nginx_bin" -v 2>&1 | sed 's/.*version: //; s/^nginx\///')"
    echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    echo "quick=$quick"
    echo "rounds=$rounds"
    echo "duration=$duration"
    echo "requests=$requests"
    echo "idle=$idle"
    echo "idle_conns=$idle_conns"
    echo "pinned=$pin"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$raw/meta.txt"

# ---- footprint ----------------------------------------------------------------
log "footprint: stripped size"
strip -o "$work/libhams.stripped.so" "$work/lib/libhams.so"
{
    echo "lib_bytes=$(stat -c %s "$work/lib/libhams.so")"
    echo "lib_stripped_bytes=$(stat -c %s "$work/libhams.stripped.so")"
} >"$raw/sizes.txt"
log "footprint: RSS, threads, wake-ups (${idle} s idle x4), start to first 200"
timeout $((idle * 4 + 60)) "${srv_run[@]}" "$work/bin/footprint" "$idle" "$starts" >"$raw/footprint.txt"

# ---- servers ------------------------------------------------------------------
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_ok() { # port path: until a 200, at most 10 s
    local i
    for i in $(seq 1 100); do
        "$kubelet" "$1" "$2" 1 0 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
wait_line() { # file: the port in a "serving on http://127.0.0.1:PORT/" line, at most 10 s
    local i p
    for i in $(seq 1 100); do
        p="$(sed -n 's#.*serving on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' "$1" | head -1)"
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
    done
    return 1
}

start_hams() {
    "${srv_run[@]}" "$work/bin/server" --address 127.0.0.1:0 >"$work/server.out" 2>&1 &
    hams_pid=$!; pids+=("$hams_pid")
    hams_port="$(wait_line "$work/server.out")" || { cat "$work/server.out" >&2; exit 1; }
    wait_ok "$hams_port" /hams/alive || { echo "bench: hams server answers no 200" >&2; exit 1; }
}
start_demo() {
    # stdin at EOF (the demo reads no command then); it ends on TERM
    "${srv_run[@]}" "$work/bin/demo" --address 127.0.0.1:0 --warmup-ms 0 --drain-ms 0 \
        >"$work/demo.out" 2>&1 </dev/null &
    demo_pid=$!; pids+=("$demo_pid")
    demo_port="$(wait_line "$work/demo.out")" || { cat "$work/demo.out" >&2; exit 1; }
    # ready once warmed up and the disk callback has run once
    wait_ok "$demo_port" /hams/ready || { echo "bench: demo never ready" >&2; exit 1; }
}
start_nginx() {
    local try
    for try in 1 2 3; do
        nginx_port="$(free_port)"
        cat >"$work/nginx/nginx.conf" <<EOF
# generated by bench/run.sh
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 8192;
pid nginx.pid;
error_log logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    # nginx closes a keep-alive connection after 1000 requests by default;
    # hams never does: lift it so that both serve the same connections.
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$nginx_port backlog=4096;
        location /alive { return 200 "ok"; }
    }
}
EOF
        "${srv_run[@]}" "$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx/" \
            -e "$work/nginx/logs/error.log" >"$work/nginx/stdout" 2>&1 &
        nginx_pid=$!; pids+=("$nginx_pid")
        wait_ok "$nginx_port" /alive && return 0
        stop_pid "$nginx_pid"
    done
    echo "bench: nginx did not start:" >&2; cat "$work/nginx/logs/error.log" >&2 || true
    exit 1
}

log "starting the hams bench server, the demo and nginx (1 worker)"
start_hams
start_demo
start_nginx
nginx_worker=""
for _ in $(seq 1 50); do
    nginx_worker="$(pgrep -P "$nginx_pid" | head -1 || true)"
    [ -n "$nginx_worker" ] && break
    sleep 0.1
done
[ -n "$nginx_worker" ] || { echo "bench: no nginx worker process" >&2; exit 1; }
log "hams :$hams_port/hams/alive, demo :$demo_port/hams/ready, nginx :$nginx_port/alive (pinned: $pin)"
{
    echo "server_threads=$(ls /proc/"$hams_pid"/task | wc -l)"
    echo "demo_threads=$(ls /proc/"$demo_pid"/task | wc -l)"
    echo "demo_thread_names=$(cat /proc/"$demo_pid"/task/*/comm | sort | uniq -c | awk '{ s = s (NR > 1 ? ", " : "") $2 " x" $1 } END { print s }')"
} >>"$raw/footprint.txt"

url_of() {
    case "$1" in
        hams) echo "http://127.0.0.1:$hams_port/hams/alive" ;;
        demo) echo "http://127.0.0.1:$demo_port/hams/ready" ;;
        nginx) echo "http://127.0.0.1:$nginx_port/alive" ;;
    esac
}
clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"
cpu_ticks() { # server: user + system CPU time of its serving process, in clock ticks
    local p
    case "$1" in hams) p="$hams_pid" ;; demo) p="$demo_pid" ;; nginx) p="$nginx_worker" ;; esac
    # fields 14 and 15 of /proc/PID/stat, counted after the ")" ending the name
    sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }'
}
machine_ticks() { # busy (user, nice, system, steal) and total clock ticks of all
    # CPUs, from /proc/stat; irq and softirq time is left out of busy, as it
    # is out of a process's own time
    awk '/^cpu / { print $2 + $3 + $4 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat
}
child_ticks() { # CPU time of the shell's finished children (wrk), in clock ticks,
    # from the output of `times`, which must run in the shell itself (a
    # subshell would count its own children only)
    awk -v hz="$clk_tck" 'NR == 2 {
        n = split($0, t, " "); s = 0
        for (i = 1; i <= n; i++) { split(t[i], ms, "m"); s += ms[1] * 60 + ms[2] }
        printf "%d\n", s * hz + 0.5 }' "$work/times"
}
run_wrk() { # server conns mode duration -> BENCH line on stdout
    local hdr=()
    [ "$3" = close ] && hdr=(-H 'Connection: close')
    timeout $(($4 + 30)) "${cli_run[@]}" wrk -t1 -c"$2" -d"$4"s --latency "${hdr[@]}" \
        -s "$here/report.lua" "$(url_of "$1")"
}

# ---- wrk: interleaved rounds ----------------------------------------------------
log "warm-up: 1 s of wrk against each"
for s in hams demo nginx; do run_wrk "$s" 50 keepalive 1 >/dev/null; done
: >"$raw/runs.tsv"
scenarios="keepalive:1 keepalive:50 close:1 close:50"
total=$((4 * rounds * 3)); n=0
for sc in $scenarios; do
    mode="${sc%%:*}" conns="${sc##*:}"
    for r in $(seq 1 "$rounds"); do
        # alternate the order so that drift during a round favours no one
        if [ $((r % 2)) = 1 ]; then order="hams demo nginx"; else order="nginx demo hams"; fi
        for s in $order; do
            n=$((n + 1))
            f="$raw/wrk-$mode-c$conns-r$r-$s.txt"
            times >"$work/times"
            c0="$(cpu_ticks "$s")" m0="$(machine_ticks)" k0="$(child_ticks)"
            run_wrk "$s" "$conns" "$mode" "$duration" >"$f" 2>&1 || log "wrk failed: $f"
            times >"$work/times"
            c1="$(cpu_ticks "$s")" m1="$(machine_ticks)" k1="$(child_ticks)"
            line="$(grep '^BENCH ' "$f" | sed 's/^BENCH //' || true)"
            if [ -n "$line" ]; then
                # others' CPU: all busy time of the machine less the server's and wrk's
                read -r b0 t0 <<<"$m0"; read -r b1 t1 <<<"$m1"
                others=$(( (b1 - b0) - (c1 - c0) - (k1 - k0) ))
                line="$line cpu_ticks=$((c1 - c0)) clk_tck=$clk_tck wrk_ticks=$((k1 - k0)) others_ticks=$others all_ticks=$((t1 - t0))"
            fi
            printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$conns" "$r" "$s" "$line" >>"$raw/runs.tsv"
            log "[$n/$total] $mode c=$conns round $r $s: $(printf '%s' "$line" | tr ' ' '\n' | grep -E '^(rps|p50_us|p99_us)=' | tr '\n' ' ')"
            sleep 0.5
        done
    done
done

# ---- kubelet-style probes with 1000 idle connections ----------------------------
log "kubelet-style probes: $rounds rounds of $requests sequential Connection: close requests per series"
: >"$raw/kubelet.tsv"
kube() { # round label port path idle
    local o
    o="$(timeout 200 "${cli_run[@]}" "$kubelet" "$3" "$4" "$requests" "$5" "$raw/kubelet-$2-r$1.lat" 2>"$raw/kubelet-$2-r$1.err")" ||
        log "kubelet $2: not all ok: $o $(head -3 "$raw/kubelet-$2-r$1.err")"
    printf '%s\t%s\t%s\n' "$2" "$1" "$o" >>"$raw/kubelet.tsv"
    log "kubelet round $1 $2: $(printf '%s' "$o" | tr ' ' '\n' | grep -E '^(ok|idle_open|p50_us|p99_us|max_us)=' | tr '\n' ' ')"
    sleep 0.5
}
: >"$raw/kubelet.tsv"
for r in $(seq 1 "$rounds"); do
    kube "$r" hams-idle0 "$hams_port" /hams/alive 0
    kube "$r" hams-idle$idle_conns "$hams_port" /hams/alive "$idle_conns"
    kube "$r" demo-idle$idle_conns "$demo_port" /hams/ready "$idle_conns"
    kube "$r" nginx-idle$idle_conns "$nginx_port" /alive "$idle_conns"
done

# ---- evaluate; profile if a throughput or latency target missed ---------------
# (perf samples the server process with the cpu-clock software event: this
# VM has no hardware counters; nginx's worker is profiled the same way)
python3 "$here/report.py" --check "$raw" >"$raw/check.txt" || true
missed="$(cat "$raw/check.txt")"
do_profile=0
case "$profile" in
    yes) do_profile=1 ;;
    auto) [ "$quick" = 0 ] && [ -n "$missed" ] && do_profile=1 ;;
esac
if [ "$do_profile" = 1 ] && [ "$have_perf" = 0 ]; then
    log "perf missing or not working: no profile (apt-get install -y linux-perf)"
    do_profile=0
fi
if [ "$do_profile" = 1 ]; then
    pdur=$((duration < 5 ? duration : 5))
    # keeps non-comment, non-empty lines of perf report, without its
    # trailing columns; awk reads all its input (no SIGPIPE under pipefail)
    perf_rows() { awk -v max="$1" '!/^#/ && NF { sub(/[ \t-]+$/, ""); if (++n <= max) print }'; }
    for sc in ${missed:-keepalive:50 close:50}; do
        mode="${sc%%:*}" conns="${sc##*:}"
        for who in hams nginx; do
            if [ "$who" = hams ]; then ppid_="$hams_pid"; else ppid_="$nginx_worker"; fi
            log "profile: perf record (cpu-clock) of $who under wrk $mode c=$conns, ${pdur} s"
            run_wrk "$who" "$conns" "$mode" $((pdur + 2)) >"$raw/profile-wrk-$who-$mode-c$conns.txt" 2>&1 &
            wrk_pid=$!
            sleep 1
            data="$work/perf-$who-$mode-c$conns.data"
            timeout $((pdur + 30)) perf record -e cpu-clock -F 4999 -q -p "$ppid_" \
                -o "$data" -- sleep "$pdur" >/dev/null 2>&1 || true
            wait "$wrk_pid" || true
            if [ "$who" = hams ]; then
                {
                    echo "=== hams, $mode, $conns connections"
                    echo "--- self time by object"
                    perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | perf_rows 8 || true
                    echo "--- self time by function (top 40)"
                    perf report -i "$data" --no-children --sort dso,symbol --stdio 2>/dev/null | perf_rows 40 || true
                    echo "--- inside libhams.so only (percent of its samples, top 25)"
                    perf report -i "$data" --no-children --dsos libhams.so --percentage relative \
                        --sort symbol --stdio 2>/dev/null | perf_rows 25 || true
                } >>"$raw/profile.txt"
            else
                {
                    echo "=== nginx worker (for comparison), $mode, $conns connections"
                    echo "--- self time by object"
                    perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | perf_rows 8 || true
                    echo "--- self time by function (top 15)"
                    perf report -i "$data" --no-children --sort dso,symbol --stdio 2>/dev/null | perf_rows 15 || true
                } >>"$raw/profile.txt"
            fi
        done
    done
fi

# ---- system calls per request under wrk, hams vs nginx ------------------------------
# perf stat counts syscalls:sys_enter_* tracepoints of the server process
# (and failed recvfrom/accept4 returns) while wrk loads it; dividing by the
# responses written (one write-type call each, wrk does not pipeline) gives
# calls per request. Counting in the kernel adds little, unlike strace.
if [ "$have_perf" = 1 ] && perf stat -e syscalls:sys_enter_close -o /dev/null -- true >/dev/null 2>&1; then
    if [ "$quick" = 1 ]; then sdur=1 sscen="keepalive:50 close:50"; else sdur=3 sscen="$scenarios"; fi
    # the calls a server may make per request; all of syscalls:sys_enter_*
    # would take perf over 10 s to set up here
    sys_events=()
    for n in read write readv writev recvfrom sendto recvmsg sendmsg accept accept4 close \
        shutdown setsockopt getsockopt epoll_wait epoll_pwait epoll_ctl ioctl fcntl futex \
        brk mmap munmap madvise poll clock_gettime; do
        sys_events+=(-e "syscalls:sys_enter_$n")
    done
    : >"$raw/syscalls.tsv"
    for sc in $sscen; do
        mode="${sc%%:*}" conns="${sc##*:}"
        for who in hams nginx; do
            if [ "$who" = hams ]; then tpid="$hams_pid"; else tpid="$nginx_worker"; fi
            log "system calls: perf stat of $who under wrk $mode c=$conns, ${sdur} s"
            run_wrk "$who" "$conns" "$mode" $((sdur + 4)) >"$raw/syscalls-wrk-$who-$mode-c$conns.txt" 2>&1 &
            wrk_pid=$!
            sleep 1
            f="$raw/syscalls-$who-$mode-c$conns.csv"
            timeout $((sdur + 30)) perf stat -x, -o "$f" "${sys_events[@]}" \
                -e syscalls:sys_exit_recvfrom --filter 'ret < 0' \
                -e syscalls:sys_exit_accept4 --filter 'ret < 0' \
                -p "$tpid" -- sleep "$sdur" >/dev/null 2>&1 || log "perf stat failed for $who $mode c=$conns"
            wait "$wrk_pid" || true
            printf '%s\t%s\t%s\n' "$who" "$mode" "$conns" >>"$raw/syscalls.tsv"
        done
    done
else
    log "perf or its syscall tracepoints missing: no system call counts"
fi

stop_pid "$hams_pid"; stop_pid "$demo_pid"; stop_pid "$nginx_pid"

# ---- report -----------------------------------------------------------------------
mkdir -p "$out"
python3 "$here/report.py" "$raw" "$out" --gnuplot "$have_gnuplot"

# ---- metrics: hams against prometheus_client and prom-client -------------------------
# (its own section of results.md; bench/metrics/run.sh says what it measures)
if [ "$metrics" = yes ]; then
    log "metrics section: bench/metrics/run.sh"
    bash "$here/metrics/run.sh" "${metrics_args[@]+"${metrics_args[@]}"}" --lib-dir "$work/lib" --out "$out"
fi
