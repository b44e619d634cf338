"""A Python process that starts hams, then fork()s (tests/workers/python/test_fork.py).

    fork_child.py plain|workers

The child increments the counter made before the fork (through the fast
path when it is built), in workers mode also registers a probe and a
counter of its own, calls start() on the inherited handle (HamsError
expected), reports on a pipe, waits for the parent's word, closes the
handle and exits normally (atexit runs). Its stdout and stderr go to files
the parent reads. The parent checks its own endpoints before and after,
and prints one JSON report."""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import tempfile
import time

import hams

mode = sys.argv[1]
workers = mode == "workers"


def get(port: int, path: str) -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def value(text: str, name: str) -> float:
    m = re.search(r"^" + re.escape(name) + r"(?:\{[^}]*\})? (\S+)$", text, re.M)
    return float(m.group(1)) if m else -1.0


h = hams.Hams("fork-test", "1", address="127.0.0.1:0", workers=workers)
c = h.counter("fork_total", "made before the fork")
c.inc()
h.start()
port = h.port
out_file = tempfile.TemporaryFile()
err_file = tempfile.TemporaryFile()
r1, w1 = os.pipe()
r2, w2 = os.pipe()
sys.stdout.flush()
sys.stderr.flush()
pid = os.fork()
if pid == 0:
    os.close(r1)
    os.close(w2)
    os.dup2(out_file.fileno(), 1)
    os.dup2(err_file.fileno(), 2)
    report = {"pid": os.getpid(), "implementation": hams.implementation(), "worker": h.worker}
    c.inc(5)
    if workers:
        p = h.probe_manual("child", healthy=True)
        h.counter("child_total", "made after the fork").inc(3)
    try:
        h.start()
        report["start"] = "no error"
    except hams.HamsError as e:
        report["start"] = {"code": e.code, "message": str(e)}
    os.write(w1, json.dumps(report).encode() + b"\n")
    os.close(w1)
    os.read(r2, 1)  # the parent has looked
    h.close()
    sys.exit(0)

os.close(w1)
os.close(r2)
with os.fdopen(r1) as f:
    child = json.loads(f.readline())
result = {"child": child}
if workers:
    # The parent's watcher finds a new worker on its next look (every 200 ms
    # or so); the contract gives it no deadline, the test 3 s.
    deadline = time.monotonic() + 3
    while True:
        verbose = get(port, "/hams/ready?verbose")[1]
        text = get(port, "/hams/metrics")[1]
        seen = f"child@{child['pid']}" in verbose and value(text, "child_total") == 3.0
        if seen or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    result["ready_verbose_while_child"] = verbose
    result["metrics_while_child"] = text
os.write(w2, b"g")
os.close(w2)
deadline = time.monotonic() + 10
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        result["child_exit"] = os.waitstatus_to_exitcode(status)
        break
    if time.monotonic() > deadline:
        # Stuck on its way out (seen: in hams_set_logger, at exit, when a
        # hams thread was inside the log callback at the fork).
        result["child_exit"] = "still running 10 s after its work was done: killed"
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        break
    time.sleep(0.02)
out_file.seek(0)
err_file.seek(0)
result["child_stdout"] = out_file.read().decode("utf-8", "replace")
result["child_stderr"] = err_file.read().decode("utf-8", "replace")
# The parent: still serving, the child's probe gone once its exit is seen.
deadline = time.monotonic() + 3
while True:
    verbose = get(port, "/hams/ready?verbose")
    if f"child@{pid}" not in verbose[1] or time.monotonic() > deadline:
        break
    time.sleep(0.05)
result["ready_verbose_after"] = verbose[1]
result["ready_after"] = get(port, "/hams/ready")[0]
status, text = get(port, "/hams/metrics")
result["metrics_status_after"] = status
result["fork_total_after"] = value(text, "fork_total")
result["child_total_after"] = value(text, "child_total")
result["metrics_after"] = text
h.close()
print(json.dumps(result))
