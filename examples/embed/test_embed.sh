#!/bin/sh
# One process, two languages: builds examples/embed/host.c (C, embedding
# CPython), runs it with examples/embed/plugin.py, and checks over HTTP that
# the one server shows the C host's probe and the Python plugin's probes.
#
# Needs: a C compiler, curl, Debian's python3-dev (Python.h and
# python3-embed.pc; `apt-get install python3-dev pkg-config`), and libhams
# built by `cargo build --release` (done here when missing).
#
# Run from anywhere: sh examples/embed/test_embed.sh
# Prints one line per check and `embed: N passed, N failed`; exits non-zero
# on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'; }
finish() {
    echo "embed: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

work=$(mktemp -d "${TMPDIR:-/tmp}/hams-embed.XXXXXX")
host_pid=
cleanup() {
    exec 3>&- 2>/dev/null
    if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
        kill "$host_pid" 2>/dev/null
        wait "$host_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# -- build ------------------------------------------------------------------
if ! pkg-config --exists python3-embed 2>/dev/null; then
    fail "build: pkg-config python3-embed not found" "install it: apt-get install -y python3-dev pkg-config"
    finish
fi
# The library: $HAMS_LIB_DIR (make check), else cargo's release build.
lib="${HAMS_LIB_DIR:-$root/target/release}"
if [ -z "${HAMS_LIB_DIR:-}" ] && [ ! -f "$lib/libhams.so" ]; then
    cargo build --release >"$work/cargo.log" 2>&1 || { fail "cargo build --release" "$(tail -20 "$work/cargo.log")"; finish; }
fi
ln -sf libhams.so "$lib/libhams.so.0" 2>/dev/null

# shellcheck disable=SC2046 # pkg-config prints several words on purpose
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$work/host" examples/embed/host.c \
    $(pkg-config --cflags --libs python3-embed) -Iinclude -L"$lib" -lhams >"$work/cc.log" 2>&1; then
    pass "build: host.c with python3-embed $(pkg-config --modversion python3-embed) and libhams"
else
    fail "build: host.c" "$(cat "$work/cc.log")"
    finish
fi

# -- run --------------------------------------------------------------------
# The host's stdin is a FIFO held open here: closing it tells the host to stop.
mkfifo "$work/stdin"
PYTHONPATH="$root/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$work/host" examples/embed/plugin.py "${HAMS_EMBED_ADDRESS:-127.0.0.1:0}" \
    <"$work/stdin" >"$work/out" 2>"$work/err" &
host_pid=$!
exec 3>"$work/stdin"

port=
i=0
while [ $i -lt 100 ]; do
    port=$(sed -n 's/^embed: port=\([0-9][0-9]*\)$/\1/p' "$work/out")
    [ -n "$port" ] && break
    kill -0 "$host_pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -n "$port" ]; then
    pass "starts: embed: port=$port"
else
    fail "starts: no 'embed: port=' line" "$(cat "$work/out" "$work/err")"
    finish
fi

line=$(grep '^embed: python plugin registered' "$work/out")
if [ -n "$line" ]; then pass "plugin: ${line#embed: }"; else fail "plugin: no registration line" "$(cat "$work/out" "$work/err")"; fi

get() { curl -s -m 5 "http://127.0.0.1:$port$1"; }

# The plugin's callback check runs on a hams thread: wait for its first result.
i=0
while [ $i -lt 50 ]; do
    body=$(get '/hams/ready?verbose')
    case $body in *'[+]py-check ok'*) break ;; esac
    sleep 0.1
    i=$((i + 1))
done

status=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/hams/ready")
body=$(get '/hams/ready?verbose')
case $body in *'[+]c-side ok'*) pass "c-side: [+]c-side ok (probe made in C)" ;;
    *) fail "c-side: no [+]c-side ok" "$body" ;; esac
case $body in *'[+]py-side ok'*) pass "py-side: [+]py-side ok (probe made in Python)" ;;
    *) fail "py-side: no [+]py-side ok" "$body" ;; esac
case $body in *'[+]py-check ok'*) pass "py-check: [+]py-check ok (Python check run by a hams thread)" ;;
    *) fail "py-check: no [+]py-check ok" "$body" ;; esac
if [ "$status" = 200 ]; then pass "ready: 200"; else fail "ready: got $status" "$body"; fi

metrics=$(get /hams/metrics)
case $metrics in *'embed_plugin_loads_total 1'*) pass "metrics: the plugin's counter is served" ;;
    *) fail "metrics: no embed_plugin_loads_total 1" "$metrics" ;; esac

version=$(get /hams/version)
case $version in *'"service":"hams-embed"'*) pass "version: one server, the host's" ;;
    *) fail "version: unexpected" "$version" ;; esac

# -- stop -------------------------------------------------------------------
exec 3>&-
i=0
while [ $i -lt 100 ] && kill -0 "$host_pid" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$host_pid" 2>/dev/null; then
    fail "stop: still running 10 s after stdin closed"
else
    wait "$host_pid"
    rc=$?
    host_pid=
    if [ "$rc" -eq 0 ] && grep -qx "embed: stopped" "$work/out"; then
        pass "stop: exits 0 after stdin closes"
    else
        fail "stop: status $rc" "$(cat "$work/out" "$work/err")"
    fi
fi
if grep -q 'Traceback\|Fatal Python error' "$work/err"; then
    fail "stderr: Python errors" "$(cat "$work/err")"
else
    pass "stderr: no Python errors"
fi

finish
