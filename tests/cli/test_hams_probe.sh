#!/usr/bin/env bash
# Tests hams-probe against the C demo: exit codes, printed bodies, timeouts.
# Usage: tests/cli/test_hams_probe.sh HAMS_PROBE DEMO   (libhams on LD_LIBRARY_PATH)
set -uo pipefail
probe="${1:?usage: test_hams_probe.sh HAMS_PROBE DEMO}"
demo="${2:?usage: test_hams_probe.sh HAMS_PROBE DEMO}"
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0 failed=0
check() { # name expected-exit command...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" = "$want" ]; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name: exit $got, expected $want; stderr: $(head -c 300 "$tmp/err")"; fi
}

# The demo's standard input stays open (it stops at end of input) through a
# FIFO whose writer is a process of ours, killed at exit like the demo.
mkfifo "$tmp/stdin"
sleep 3600 >"$tmp/stdin" 2>/dev/null </dev/null &
pids+=($!)
"$demo" --address 127.0.0.1:0 --warmup-ms 1500 --drain-ms 0 <"$tmp/stdin" >"$tmp/demo" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 1 50); do
    port="$(sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' "$tmp/demo")"
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "FAIL demo did not start"; exit 1; }
base="http://127.0.0.1:$port"

check "ready fails during warm-up" 1 "$probe" "$base/hams/ready"
if grep -q '\[-\]warmup failed' "$tmp/err" && grep -q 'answered 503' "$tmp/err"; then
    passed=$((passed + 1)); echo "ok   failure prints status and body"
else
    failed=$((failed + 1)); echo "FAIL failure output: $(cat "$tmp/err")"
fi
check "alive passes" 0 "$probe" "$base/hams/alive"
check "default path is /" 1 "$probe" "$base"
check "unknown path (404) fails" 1 "$probe" "$base/nope"
sleep 1.6
check "ready passes after warm-up" 0 "$probe" --timeout 2000 "$base/hams/ready"
check "connection refused fails" 1 "$probe" --timeout 500 "http://127.0.0.1:1/hams/ready"
check "bad usage" 2 "$probe"
check "bad url" 2 "$probe" "https://127.0.0.1:$port/"
check "bad timeout" 2 "$probe" --timeout x "$base/hams/alive"

# A server that accepts and never answers: the timeout ends the wait.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
conns = []
end = time.time() + 30
while time.time() < end:
    c, _ = s.accept(); conns.append(c)
' >"$tmp/silent" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/silent" ] && break; sleep 0.1; done
silent="$(head -1 "$tmp/silent")"
start=$(date +%s%N)
check "silent server times out" 1 "$probe" --timeout 300 "http://127.0.0.1:$silent/hams/ready"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$elapsed" -lt 2000 ]; then passed=$((passed + 1)); echo "ok   timeout honoured (${elapsed} ms)"
else failed=$((failed + 1)); echo "FAIL timeout took ${elapsed} ms"; fi

echo "hams-probe: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
