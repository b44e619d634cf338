#!/usr/bin/env bash
# Smoke test of the C demo: starts it on a free port, checks that readiness
# fails during warm-up and passes after, and that it exits 0 on SIGTERM
# (with --drain-ms 0, so at once) after running its shutdown callback.
# tests/c/shutdown_test.py tests the shutdown sequence itself.
#
# Usage: tests/c/demo_smoke.sh PATH/TO/demo
# (libhams must be findable, e.g. via LD_LIBRARY_PATH; tests/c/run.sh does it.)
set -euo pipefail

demo="${1:?usage: demo_smoke.sh PATH/TO/demo}"
tmp="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "demo-smoke: FAIL: $*" >&2; exit 1; }

# status PORT PATH -> prints the HTTP status code (bash /dev/tcp, no curl).
status() {
    local port="$1" path="$2" line
    exec 3<>"/dev/tcp/127.0.0.1/$port" || { echo 000; return; }
    printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$path" >&3
    IFS= read -r -t 3 line <&3 || line=""
    exec 3<&- 3>&-
    line="${line%$'\r'}"
    set -- $line
    echo "${2:-000}"
}

# stdin from /dev/null: the demo reads commands from stdin.
HAMS_DEMO_ADDRESS=127.0.0.1:0 "$demo" --warmup-ms 700 --drain-ms 0 </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!

port=""
for _ in $(seq 1 50); do
    if line="$(grep -m1 'hams demo: serving on ' "$tmp/out" 2>/dev/null)"; then
        port="$(printf '%s\n' "$line" | sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\)/hams/ready.*#\1#p')"
        [ -n "$port" ] && break
    fi
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/err" >&2; fail "no 'serving on' line"; }

s="$(status "$port" /hams/alive)"; [ "$s" = 200 ] || fail "alive during warm-up: $s"
s="$(status "$port" /hams/ready)"; [ "$s" = 503 ] || fail "ready during warm-up: $s"
s="$(status "$port" /hams/startup)"; [ "$s" = 503 ] || fail "startup during warm-up: $s"

ok=""
for _ in $(seq 1 40); do
    if [ "$(status "$port" /hams/ready)" = 200 ]; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || fail "ready never became 200 after warm-up"
s="$(status "$port" /hams/startup)"; [ "$s" = 200 ] || fail "startup after warm-up: $s"
# The loop probe has a 1000 ms margin and is kicked every 100 ms.
sleep 1.2
s="$(status "$port" /hams/alive)"; [ "$s" = 200 ] || fail "alive after 1.2 s: $s"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" = 0 ] || fail "demo exited with $rc after SIGTERM"
grep -q '^hams demo: shutdown callback ran$' "$tmp/out" || fail "SIGTERM: no 'shutdown callback ran' line"
grep -q '^hams demo: stopped$' "$tmp/out" || fail "SIGTERM: no 'stopped' line"

# --run-ms ends it on its own.
rc=0
"$demo" --address 127.0.0.1:0 --run-ms 300 --drain-ms 0 </dev/null >"$tmp/out2" 2>"$tmp/err2" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/err2" >&2; fail "--run-ms 300 exited with $rc"; }
grep -q 'hams demo: serving on http://127.0.0.1:[0-9]*/hams/ready' "$tmp/out2" \
    || fail "--run-ms: no serving line"
grep -q '^hams demo: shutdown callback ran$' "$tmp/out2" || fail "--run-ms: no 'shutdown callback ran' line"

echo "demo-smoke: ok" >&2
